// Checks, the plan dialog and what it carries out: the server's plan (POST /v1/plan),
// confirmed, then exactly that plan (POST /v1/update?plan=...); rollbacks and releases.
"use strict";
(function () {
  const WT = window.WT;
  if (!WT) return;
  const { element, api, say, who, short } = WT;
  const dialog = document.getElementById("plan");
  const planBody = document.getElementById("plan-body");
  const planGo = document.getElementById("plan-go");
  const planCancel = dialog.querySelector("button[value=cancel]");

  // The status a check result gives its row: a check that failed is an error, not a skip.
  function checked(c) {
    if (c.status === "failed") return "error";
    if (c.status) return c.status === "skipped" ? "skipped" : c.status;
    return c.error ? "skipped" : c.update_available ? "stale" : "fresh";
  }

  // "50 could not be checked (47: registry unreachable; 3: ...)": the reasons, counted.
  function failures(results) {
    const failed = results.filter((c) => c.name && checked(c) === "error");
    if (!failed.length) return "";
    const reasons = new Map();
    for (const c of failed) {
      const line = (c.error || "no reason given").split("\n")[0].slice(0, 80).replace(/\.$/, "");
      reasons.set(line, (reasons.get(line) || 0) + 1);
    }
    const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 2)
      .map(([line, n]) => n + ": " + line);
    return ", " + failed.length + " could not be checked (" + top.join("; ") +
      (reasons.size > 2 ? "; \u2026" : "") + ")";
  }

  // ", 2 wait for the canaries, 12 deferred to the next run: registry quota": the skips that
  // are no trouble, each its own count.
  function waiting(entries) {
    const canary = entries.filter((e) => e.stage === "canary").length;
    const deferred = entries.filter((e) => e.deferred).length;
    return (canary ? ", " + WT.canaryWords(canary) : "") +
      (deferred ? ", " + WT.deferredWords(deferred) : "");
  }

  // "Host b could not be checked: ..." for each host the check could not reach.
  function unreachable(results) {
    return results.filter((c) => !c.name)
      .map((c) => " Host " + c.host + " could not be checked: " + c.error + ".").join("");
  }

  async function runCheck(names) {
    const q = WT.query(names);
    const body = await api("POST", "/v1/check" + (q ? "?" + q : ""));
    for (const c of body.containers) {
      if (!c.name) continue; // a host that could not be checked
      WT.setChecked(c.host, c.name, c.timestamp || body.timestamp);
      WT.setLatest(c.host, c.name, c.latest_digest);
      WT.timing.set(WT.key(c.host, c.name), { waits: c.waits || "", next_due: c.next_due || null });
      WT.setVersion(c.host, c.name, c.version, c.latest_version, c.notes);
      WT.setMarks(c.host, c.name, c.stage || "", c.deferred || false);
      WT.setStatus(c.host, c.name, checked(c), c.error);
    }
    WT.arrange();
    return body.containers;
  }

  WT.check = function (names) {
    return WT.whileAsked(async () => {
      say("Checking\u2026");
      try {
        const results = await runCheck(names);
        const found = results.filter((c) => c.name);
        const stale = found.filter((c) => checked(c) === "stale").length;
        say("Checked " + found.length + " container(s): " + stale + " with an update" +
          waiting(found) + failures(results) + "." + unreachable(results));
      } catch (error) {
        say("The check failed: " + error.message);
      }
    });
  };

  // The plan dialog: what will happen, and onGo only once confirmed. It always opens on
  // Cancel, the safe choice: Enter alone changes nothing.
  WT.ask = function (nodes, goLabel, enabled, onGo) {
    planBody.replaceChildren(...nodes);
    planGo.textContent = goLabel;
    planGo.disabled = !enabled;
    dialog.returnValue = "";
    dialog.showModal();
    planCancel.focus();
    dialog.addEventListener("close", async function onClose() {
      dialog.removeEventListener("close", onClose);
      if (dialog.returnValue === "go") await onGo();
    });
  };

  const SECTIONS = [
    ["update", "Will be replaced"],
    ["restart", "Restarted because they depend on a replaced one"],
    ["skip", "Left alone"],
    ["error", "Could not be checked"],
    ["fresh", "Up to date"],
  ];

  // One entry of the plan: a checkbox to leave it out for updates and restarts.
  function planItem(entry, onChange) {
    const item = element("li");
    item.dataset.key = entry.key;
    item.dataset.group = entry.group;
    const change = entry.group === "update"
      ? (entry.version && entry.latest_version ? entry.version + " \u2192 " + entry.latest_version
        : short(entry.digest) + " \u2192 " + short(entry.latest_digest)) : "";
    const text = element("span", who(entry), "who");
    const image = element("span", " " + entry.image + (change ? ": " + change : ""), "image");
    // Its canary stage: a badge while it waits for the canaries, a mark once promoted.
    const marks = [];
    if (entry.stage === "canary") marks.push(" ", element("span", "canary", "badge stage-canary"));
    if (entry.stage === "promoted") {
      marks.push(" ", element("span", "promoted", "mark stage-promoted"));
    }
    if (entry.deferred) marks.push(" ", element("span", "deferred", "badge status-skipped"));
    if (entry.group === "update" || entry.group === "restart") {
      const label = element("label");
      const box = element("input");
      box.type = "checkbox";
      box.checked = true;
      box.value = entry.key;
      box.addEventListener("change", onChange);
      label.append(box, " ", text, image, ...marks);
      item.append(label);
    } else {
      item.append(text, image, ...marks);
    }
    if (entry.group === "restart" && entry.because && entry.because.length) {
      item.append(element("span", "because " + entry.because.join(", "), "reason because"));
    }
    if (entry.group !== "update" && entry.group !== "restart" && (entry.reason || entry.detail)) {
      item.append(WT.reasonNode(entry.reason, entry.detail));
    }
    return item;
  }

  function planSection(group, title, entries, onChange) {
    const mine = entries.filter((e) => e.group === group);
    if (!mine.length) return null;
    const list = element("ul", undefined, "plan-list");
    list.append(...mine.map((e) => planItem(e, onChange)));
    const heading = title + " (" + mine.length + ")";
    // The fresh ones, often most of them, stay folded.
    if (group === "fresh") {
      const fold = element("details", undefined, "plan-section plan-" + group);
      fold.append(element("summary", heading), list);
      return fold;
    }
    const section = element("section", undefined, "plan-section plan-" + group);
    section.append(element("h3", heading), list);
    return section;
  }

  // Unchecking a replacement greys the restarts that depended on it alone.
  function reckon(body) {
    const out = new Set([...planBody.querySelectorAll("input[type=checkbox]:not(:checked)")]
      .map((box) => box.value));
    const replaced = new Set(body.entries.filter((e) => e.group === "update" && !out.has(e.key))
      .map((e) => (e.host || "") + "\u0000" + e.name));
    let going = 0;
    for (const e of body.entries) {
      if (e.group !== "update" && e.group !== "restart") continue;
      const item = planBody.querySelector("li[data-key='" + CSS.escape(e.key) + "']");
      const moot = e.group === "restart" && (e.because || []).length > 0 &&
        !e.because.some((n) => replaced.has((e.host || "") + "\u0000" + n));
      item.classList.toggle("moot", moot);
      item.title = moot ? "Not restarted: what it depends on is left out" : "";
      if (!out.has(e.key) && !moot) going++;
    }
    planGo.textContent = "Update (" + going + ")";
    planGo.disabled = going === 0;
    return [...out];
  }

  function showPlan(body) {
    planBody.dataset.plan = body.id;
    const nodes = [];
    const acting = body.entries.filter((e) => e.group === "update" || e.group === "restart");
    const errors = body.entries.filter((e) => e.group === "error").length;
    const hosts = Object.entries(body.hosts_failed || {});
    if (!acting.length) {
      nodes.push(element("p", errors || hosts.length
        ? "Nothing can be updated now: " + (errors + hosts.length) + " could not be checked."
        : "Nothing to update: every container checked runs what its registry serves."));
    } else {
      nodes.push(element("p", "Uncheck what to leave out; the rest is carried out as shown."));
    }
    // The skips that wait on purpose, counted: not replaced now, nor trouble.
    const tally = body.counts || {};
    const canary = tally.canary ?? body.entries.filter((e) => e.stage === "canary").length;
    const deferred = tally.deferred ?? body.entries.filter((e) => e.deferred).length;
    const waits = [canary ? WT.canaryWords(canary) : "", deferred ? WT.deferredWords(deferred) : ""]
      .filter(Boolean);
    if (waits.length) nodes.push(element("p", "Not now: " + waits.join("; ") + ".", "plan-waits"));
    if ((body.pending_repairs || []).length) {
      nodes.push(element("p", "Left half-replaced by an earlier run, repaired first: " +
        body.pending_repairs.join(", ") + ".", "reason"));
    }
    for (const [host, sentence] of hosts) {
      nodes.push(element("p", "Host " + host + " could not be checked: " + sentence, "error"));
    }
    let leaveOut = [];
    const onChange = () => { leaveOut = reckon(body); };
    for (const [group, title] of SECTIONS) {
      const section = planSection(group, title, body.entries, onChange);
      if (section) nodes.push(section);
    }
    WT.ask(nodes, "Update", acting.length > 0, () => carryOut(body, leaveOut));
    if (acting.length) leaveOut = reckon(body);
  }

  // "db: updated", "web: restarted (because db)": what the run did with each entry.
  function outcomes(answer) {
    const list = element("ul", undefined, "outcomes");
    for (const e of answer.entries || []) {
      list.append(element("li", who(e) + ": " + e.outcome + (e.reason ? " (" + e.reason + ")" : "")));
    }
    return list;
  }

  // "Done in 2.1 s: 1 updated, 1 restarted, 0 failed, 3 skipped."
  function counts(answer) {
    const s = answer.summary || {};
    const took = answer.timing ? " in " + (answer.timing.duration_ms / 1000).toFixed(1) + " s" : "";
    return "Done" + took + ": " + ["updated", "restarted", "failed", "skipped"]
      .map((k) => (s[k] || 0) + " " + k).join(", ") +
      (s.deferred ? " (" + WT.deferredWords(s.deferred) + ")" : "") + ".";
  }

  async function carryOut(body, leaveOut) {
    const q = "plan=" + encodeURIComponent(body.id) +
      leaveOut.map((k) => "&leave_out=" + encodeURIComponent(k)).join("");
    await WT.whileAsked(async () => {
      say("Updating as planned\u2026");
      try {
        const answer = await api("POST", "/v1/update?" + q);
        say(counts(answer), outcomes(answer));
      } catch (error) {
        // 409: kept too long, or carried out already (the server's words say which).
        say((error.status === 409 ? "The plan was not carried out: " : "The update failed: ") +
          error.message + ".");
      }
      await Promise.all([WT.loadContainers(), WT.loadHistory()]).catch((error) => say(error.message));
    });
  }

  WT.plan = function (names) {
    return WT.whileAsked(async () => {
      say("Working out the plan: the new images are pulled first, which can take a while\u2026");
      const q = WT.query(names);
      let body;
      try {
        body = await api("POST", "/v1/plan" + (q ? "?" + q : ""));
      } catch (error) {
        // A server without plans: the plan comes from a check, as it did before.
        if (error.status === 404 || error.status === 405) return planFromCheck(names);
        say("The plan could not be made: " + error.message);
        return;
      }
      say("");
      showPlan(body);
      // Planning checked them: the rows say what it found, and when.
      WT.loadContainers().catch((error) => say(error.message));
    });
  };

  // Older servers: what a check says is stale, then an update of those names.
  async function planFromCheck(names) {
    let results;
    try {
      results = await runCheck(names);
    } catch (error) {
      say("The check failed: " + error.message);
      return;
    }
    say(unreachable(results).trim());
    const stale = results.filter((c) => checked(c) === "stale");
    const broken = results.filter((c) => c.name && checked(c) === "error").length;
    if (!stale.length) {
      WT.ask([element("p", broken ? "Nothing can be updated now: " + broken +
        " could not be checked." : "Nothing to update: every container checked runs what its " +
        "registry serves.")], "Update", false, async () => {});
      return;
    }
    const list = element("ul", undefined, "plan-list");
    for (const c of stale) {
      list.append(element("li", who(c) + " (" + WT.moving(c.image, c.latest_image) + "): " +
        short(c.digest) + " \u2192 " + short(c.latest_digest) +
        (c.latest_version ? ", " + c.version + " \u2192 " + c.latest_version : "")));
    }
    // By name: the API replaces each stale container of that name, on every host.
    WT.ask([element("p", "These containers will be replaced (those that depend on them are " +
      "restarted):"), list], "Update", true, () => update([...new Set(stale.map((c) => c.name))]));
  }

  async function update(names) {
    const q = WT.query(names);
    const live = WT.served.has("events");
    await WT.whileAsked(async () => {
      say("Updating " + names.join(", ") + "\u2026");
      try {
        // With the event stream the page follows the run live; without it, it waits.
        await api("POST", "/v1/update?" + (live ? "async=true" + (q ? "&" : "") : "") + q);
        if (!live) {
          say("Updated.");
          await Promise.all([WT.loadContainers(), WT.loadHistory()]);
        }
      } catch (error) {
        say("The update was not started: " + error.message);
      }
    });
  }

  // The container's own query: its name, and its host on a fleet of named hosts.
  function which(c) {
    return "container=" + encodeURIComponent(c.name) +
      (c.host ? "&host=" + encodeURIComponent(c.host) : "");
  }

  WT.rollBack = function (c) {
    const list = element("ul", undefined, "plan-list");
    list.append(element("li", who(c) + " (" + c.image + "): " + (c.version || short(c.digest)) +
      " \u2192 " + c.previous));
    WT.ask([element("p", "This container will be put back on the image it ran before (those " +
      "that depend on it are restarted), and held there: no run updates it until it is " +
      "released."), list], "Roll back", true, () => goBack(c));
  };

  // A rollback's answer comes when it is done; its run's events update the row meanwhile.
  function goBack(c) {
    return WT.whileAsked(async () => {
      say("Rolling back " + who(c) + "\u2026");
      try {
        const body = await api("POST", "/v1/rollback?" + which(c));
        say(who(c) + ": " + body.entry.reason + "; held there until released.");
      } catch (error) {
        say("The rollback failed: " + error.message);
      }
      await Promise.all([WT.loadContainers(), WT.loadHistory()]).catch((error) => say(error.message));
    });
  }

  WT.release = async function (c) {
    try {
      const body = await api("POST", "/v1/release?" + which(c));
      say(body.released ? who(c) + " is released: a run updates it when its image is stale."
        : who(c) + " was not held.");
    } catch (error) {
      say("The release failed: " + error.message);
    }
    await WT.loadContainers().catch((error) => say(error.message));
  };
})();
