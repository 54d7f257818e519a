// The containers: one row each (one table, or one section per host of a hosts file),
// their statuses and ages, and the search, filter chips and sort that keep 200 usable.
"use strict";
(function () {
  const WT = window.WT;
  if (!WT) return;
  const { element, key, who, short } = WT;
  const table = document.getElementById("containers");
  const tbody = table.querySelector("tbody");
  const hostsBox = document.getElementById("hosts");
  const search = document.getElementById("search");
  const sorting = document.getElementById("sort");
  const chipsBox = document.getElementById("chips");
  const shown = document.getElementById("shown");
  const overview = document.getElementById("overview");
  const nextRun = document.getElementById("next-run");
  // By host and name: two hosts of a hosts file may each run a "web".
  const rows = (WT.rows = new Map()); // key -> its row
  const latest = new Map(); // key -> registry digest, from the last check
  const held = (WT.held = new Map()); // key -> the version a rollback holds it on
  const timing = (WT.timing = new Map()); // key -> {waits, next_due}
  const checkedAt = new Map(); // key -> when it was last checked (RFC 3339)
  // key -> {stage, deferred}: its canary stage ("canary", "promoted" or "") and whether the
  // registry quota deferred its check to the next run, from the details, a check or a plan.
  const marks = (WT.marks = new Map());
  WT.pending = new Map(); // key -> the approval its update waits for
  const active = new Set(); // the pressed chips: "status:stale", "host:a", "group:shop"
  // Needs attention first: could not be checked, failed, stale; then the rest.
  const RANK = { error: 0, failed: 1, stale: 2, updating: 3, skipped: 4, unknown: 5,
    updated: 6, fresh: 7 };
  const BADGE = { error: "error", unknown: "not checked" };
  const TROUBLE = new Set(["error", "failed"]);

  WT.setChecked = function (host, name, at) {
    if (at) checkedAt.set(key(host, name), at);
  };

  // What a check or plan found of its canary stage and deferral; undefined leaves it as it was.
  WT.setMarks = function (host, name, stage, deferred) {
    const was = marks.get(key(host, name)) || { stage: "", deferred: false };
    marks.set(key(host, name), {
      stage: stage === undefined ? was.stage : stage || "",
      deferred: deferred === undefined ? was.deferred : Boolean(deferred),
    });
  };

  // A skip that waits for the canaries reads "canary", one the quota deferred "deferred";
  // a promoted image keeps its status badge and gets a "promoted" mark beside it.
  function badge(status, mark) {
    if (status === "skipped" && mark.stage === "canary") {
      return element("span", "canary", "badge stage-canary");
    }
    if (status === "skipped" && mark.deferred) {
      return element("span", "deferred", "badge status-skipped deferred");
    }
    return element("span", BADGE[status] || status, "badge status-" + status);
  }

  WT.setStatus = function (host, name, status, reason, detail) {
    const tr = rows.get(key(host, name));
    if (!tr) return;
    tr.dataset.status = status;
    const mark = marks.get(key(host, name)) || { stage: "", deferred: false };
    const waiting = status === "skipped" && mark.stage === "canary";
    tr.dataset.stage = waiting ? "canary" : mark.stage === "promoted" ? "promoted" : "";
    tr.dataset.deferred = status === "skipped" && mark.deferred && !waiting ? "yes" : "";
    const cell = tr.querySelector(".status");
    cell.replaceChildren(badge(status, mark));
    if (mark.stage === "promoted" && status !== "skipped") {
      cell.append(" ", element("span", "promoted", "mark stage-promoted"));
    }
    if (reason) cell.append(WT.reasonNode(reason, detail));
    // A hold outlasts each status: no run updates the container until it is released.
    const on = held.get(key(host, name));
    if (on) cell.append(element("span", "held on " + on, "reason held"));
    // A stale container outside its window (or off its own schedule) says when it is due.
    const when = timing.get(key(host, name));
    if (status === "stale" && when && when.waits) cell.append(dueLine(when));
    const at = checkedAt.get(key(host, name));
    if (at) cell.append(WT.agoNode("checked", at));
    WT.markAsked(host, name);
  };

  // "waits for the window that opens Sat 2026-01-03 02:00 UTC (the same in local time)".
  function dueLine(when) {
    const line = element("span", when.waits, "reason waits");
    if (when.next_due) {
      const at = element("time", new Date(when.next_due).toLocaleString());
      at.dateTime = when.next_due;
      line.append(" (", at, ")");
    }
    return line;
  }

  // "waits for approval of 1.1" under the status while an approval is pending.
  WT.markAsked = function (host, name) {
    const tr = rows.get(key(host, name));
    if (!tr) return;
    const cell = tr.querySelector(".status");
    const old = cell.querySelector(".asked");
    if (old) old.remove();
    const asked = WT.pending.get(key(host, name));
    if (asked && !["updating", "updated"].includes(tr.dataset.status)) {
      cell.append(element("span", "waits for approval of " + asked.shown, "reason asked"));
    }
  };

  WT.setLatest = function (host, name, digest) {
    latest.set(key(host, name), digest);
    const tr = rows.get(key(host, name));
    if (tr) tr.querySelector(".latest").textContent = short(digest);
  };

  // "1.25.3 -> 1.25.4" under the image, with the release notes' link; the version alone when current.
  WT.setVersion = function (host, name, version, latestVersion, notes) {
    const tr = rows.get(key(host, name));
    if (!tr) return;
    const cell = tr.querySelector(".image");
    const old = cell.querySelector(".version");
    if (old) old.remove();
    if (!version && !latestVersion) return;
    // Once replaced it runs the latest: no arrow from a version to itself.
    const newer = latestVersion && latestVersion !== version ? latestVersion : "";
    const line = element("span", newer ? version + " \u2192 " + newer : version,
      "reason version");
    if (newer && notes && /^https?:\/\//.test(notes)) {
      const link = element("a", "release notes", "notes");
      link.href = notes;
      link.rel = "noopener noreferrer";
      line.append(" ", link);
    }
    cell.append(line);
  };

  // A tag rule's newer tag beside the one running: "nginx:1.25.3 -> nginx:1.25.4".
  WT.moving = function (image, latestImage) {
    return latestImage ? image + " \u2192 " + latestImage : image;
  };

  // The API narrows a check or an update by name on every host: the titles say so.
  function titles(c) {
    if (!c.host) return ["Check " + c.name, "Update " + c.name];
    const every = " every container named " + c.name + ", on each host that runs one";
    return ["Check" + every, "Update" + every + " (the API selects by name across hosts)"];
  }

  // The stack a container belongs to: its compose project, else its watchtower scope.
  function groupOf(c) { return c.project || c.scope || ""; }

  // A row's status from the details: a check that failed is an error, not a skip (nor an
  // update that failed: what could not be checked was not updated either).
  function statusOf(c) {
    if (c.check_status === "failed" && !["updated", "updating"].includes(c.status)) {
      return "error";
    }
    return c.status || "unknown";
  }
  WT.statusOf = statusOf;

  function containerRow(c) {
    const tr = element("tr");
    if (c.host) tr.dataset.host = c.host;
    tr.dataset.name = c.name;
    tr.dataset.group = groupOf(c);
    tr.dataset.image = c.image;
    const cells = [
      ["Container", c.name, "name"], ["Image", WT.moving(c.image, c.latest_image), "image"],
      ["Local digest", short(c.digest), "digest"],
      ["Registry digest", short(latest.get(key(c.host, c.name)) || c.latest_digest), "latest"],
      ["Status", "", "status"], ["Depends on", c.depends_on.join(", ") || "\u2014", "deps"],
    ];
    for (const [label, text, cls] of cells) {
      const td = element("td", text, cls);
      td.dataset.label = label;
      tr.append(td);
    }
    const [checkTitle, updateTitle] = titles(c);
    const actions = element("td", undefined, "row-actions");
    const checkButton = WT.button("Check", checkTitle, () => WT.check([c.name]),
      WT.served.has("check"), "Check " + who(c));
    const updateButton = WT.button("Update", updateTitle, () => WT.plan([c.name]),
      WT.served.has("check") && WT.served.has("update"), "Update " + who(c));
    checkButton.dataset.runs = updateButton.dataset.runs = "yes";
    actions.append(checkButton, updateButton);
    // Going back is for this container alone, on its own host.
    if (c.previous) {
      const back = WT.button("Roll back", "Put " + c.name + " back on " + c.previous +
        ", and hold it there", () => WT.rollBack(c), WT.served.has("update"), "Roll back " + who(c));
      back.dataset.runs = "yes";
      actions.append(back);
    }
    if (c.held) {
      tr.dataset.held = c.held;
      actions.append(WT.button("Release", "Let " + c.name + " update again",
        () => WT.release(c), WT.served.has("update"), "Release " + who(c)));
    }
    tr.append(actions);
    // Its maintenance windows and own schedule, as its labels (or --window) give them.
    const rules = (c.windows || []).map((w) => "window " + w);
    if (c.schedule) rules.push("schedule " + c.schedule);
    if (rules.length) {
      tr.querySelector(".name").append(element("span", rules.join(", "), "reason rules"));
    }
    rows.set(key(c.host, c.name), tr);
    WT.setVersion(c.host, c.name, c.version, c.latest_version, c.notes);
    return tr;
  }

  function fill(body, containers) {
    for (const c of containers) {
      if (c.held) held.set(key(c.host, c.name), c.held);
      timing.set(key(c.host, c.name), { waits: c.waits || "", next_due: c.next_due || null });
      WT.setChecked(c.host, c.name, c.checked_at);
      WT.setMarks(c.host, c.name, c.stage || "", c.deferred || false);
      body.append(containerRow(c));
      WT.setStatus(c.host, c.name, statusOf(c), c.reason, c.detail);
    }
  }

  // One section per host, in the order the API lists them: a heading, then a table like the one above.
  function renderHosts(byHost) {
    let index = 0;
    for (const [host, containers] of byHost) {
      const section = element("section", undefined, "host");
      section.dataset.host = host;
      section.dataset.order = String(index);
      const heading = element("h3", host);
      heading.id = "host-" + index++;
      section.setAttribute("aria-labelledby", heading.id);
      const hostTable = element("table", undefined, "containers");
      const caption = element("caption", "Containers on " + host, "sr-only");
      const body = element("tbody");
      hostTable.append(caption, table.tHead.cloneNode(true), body);
      fill(body, containers);
      section.append(heading, hostTable);
      hostsBox.append(section);
    }
  }

  WT.render = function (containers) {
    rows.clear();
    held.clear();
    timing.clear();
    checkedAt.clear();
    marks.clear();
    tbody.replaceChildren();
    hostsBox.replaceChildren();
    const byHost = new Map();
    for (const c of containers) {
      const host = c.host || "";
      if (!byHost.has(host)) byHost.set(host, []);
      byHost.get(host).push(c);
    }
    // One engine lists no host: its page is the one table, as before hosts files.
    const named = containers.length > 0 && !byHost.has("");
    table.hidden = named;
    if (named) {
      renderHosts(byHost);
    } else if (!containers.length) {
      const tr = element("tr");
      const td = element("td", "No container is watched.");
      td.colSpan = 7;
      tr.append(td);
      tbody.append(tr);
    } else {
      fill(tbody, containers);
    }
    WT.arrange();
    WT.applyBusy();
  };

  WT.showNextRun = function (at) {
    nextRun.dataset.at = at || "";
    nextRun.textContent = at ? new Date(at).toLocaleString() : "none scheduled";
    nextRun.title = at || "";
  };

  let loaded = false; // the containers were read once: the page's own start is over
  WT.loadContainers = async function () {
    if (!WT.served.has("containers")) {
      WT.say("The containers endpoint is not served (--http-api-endpoints).");
      tbody.replaceChildren();
      hostsBox.replaceChildren();
      table.hidden = false;
      return;
    }
    const body = await WT.api("GET", "/v1/containers/details");
    WT.render(body.containers);
    // Older servers answer without next_run: the time the page was served stays.
    if ("next_run" in body) WT.showNextRun(body.next_run);
    // A run that was going when the page loaded: its buttons wait for its end event. Only
    // then: a reading after an end event may still see that run going (on a hosts file, the
    // other hosts' part of it), and no end event would come to clear it.
    if (body.running && !loaded) WT.setRunning(true);
    loaded = true;
  };

  // Sort and filter --------------------------------------------------------------

  function compare(mode) {
    const by = {
      name: (tr) => [tr.dataset.name, tr.dataset.host || ""],
      status: (tr) => [String(RANK[tr.dataset.status] ?? 9), tr.dataset.name, tr.dataset.host || ""],
      host: (tr) => [tr.dataset.host || "", tr.dataset.name],
      attention: (tr) => [String(Math.min(RANK[tr.dataset.status] ?? 9, 3)), tr.dataset.name,
        tr.dataset.host || ""],
    }[mode] || ((tr) => [tr.dataset.name]);
    return (a, b) => {
      const [x, y] = [by(a), by(b)];
      for (let i = 0; i < x.length; i++) {
        if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
      }
      return 0;
    };
  }

  function matches(tr, text) {
    if (text && !(tr.dataset.name.toLowerCase().includes(text) ||
      tr.dataset.image.toLowerCase().includes(text))) return false;
    const wanted = (kind) => [...active].filter((c) => c.startsWith(kind + ":"))
      .map((c) => c.slice(kind.length + 1));
    const statuses = wanted("status");
    const status = tr.dataset.status;
    if (statuses.length && !statuses.some((s) => s === status ||
      (s === "trouble" && TROUBLE.has(status)))) return false;
    const hosts = wanted("host");
    if (hosts.length && !hosts.includes(tr.dataset.host || "")) return false;
    const groups = wanted("group");
    if (groups.length && !groups.includes(tr.dataset.group)) return false;
    return true;
  }

  function chip(id, label, count) {
    const node = element("button", label + " (" + count + ")", "chip");
    node.type = "button";
    node.dataset.chip = id;
    node.setAttribute("aria-pressed", active.has(id) ? "true" : "false");
    node.addEventListener("click", () => {
      if (active.has(id)) active.delete(id); else active.add(id);
      WT.arrange();
    });
    return node;
  }

  function counted(values) {
    const found = new Map();
    for (const v of values) found.set(v, (found.get(v) || 0) + 1);
    return found;
  }

  function drawChips(all) {
    const statuses = counted(all.map((tr) => tr.dataset.status));
    const nodes = [];
    const stale = statuses.get("stale") || 0;
    const trouble = (statuses.get("error") || 0) + (statuses.get("failed") || 0);
    if (stale || active.has("status:stale")) nodes.push(chip("status:stale", "Stale", stale));
    if (trouble || active.has("status:trouble")) {
      nodes.push(chip("status:trouble", "Failed or not checked", trouble));
    }
    const hosts = counted(all.map((tr) => tr.dataset.host).filter(Boolean));
    if (hosts.size > 1) for (const [h, n] of hosts) nodes.push(chip("host:" + h, "host " + h, n));
    const groups = counted(all.map((tr) => tr.dataset.group).filter(Boolean));
    for (const [g, n] of [...groups].sort()) nodes.push(chip("group:" + g, "stack " + g, n));
    chipsBox.replaceChildren(...nodes);
    chipsBox.hidden = !nodes.length;
  }

  // "200 containers: 12 stale, 2 wait for the canaries, 12 deferred to the next run: registry
  // quota, 50 could not be checked, 3 failed; last checked 3 min ago".
  function summarise(all) {
    const statuses = counted(all.map((tr) => tr.dataset.status));
    const canary = all.filter((tr) => tr.dataset.stage === "canary").length;
    const deferred = all.filter((tr) => tr.dataset.deferred === "yes").length;
    const parts = [["stale", "stale"], ["error", "could not be checked"], ["failed", "failed"],
      ["updating", "updating"]]
      .filter(([s]) => statuses.get(s)).map(([s, words]) => statuses.get(s) + " " + words);
    if (deferred) parts.splice(statuses.get("stale") ? 1 : 0, 0, WT.deferredWords(deferred));
    if (canary) parts.splice(statuses.get("stale") ? 1 : 0, 0, WT.canaryWords(canary));
    overview.replaceChildren(all.length + " container" + (all.length === 1 ? "" : "s") +
      (parts.length ? ": " + parts.join(", ") : ""));
    const times = [...checkedAt.values()].sort();
    if (times.length) overview.append("; ", WT.agoNode("last checked", times[times.length - 1]));
  }

  // Sorts each table's rows, hides those the search and chips leave out, redraws the chips.
  WT.arrange = function () {
    const all = [...rows.values()];
    const text = search.value.trim().toLowerCase();
    const order = compare(sorting.value);
    let visible = 0;
    for (const body of [tbody, ...hostsBox.querySelectorAll("tbody")]) {
      const mine = [...body.querySelectorAll("tr[data-name]")];
      if (!mine.length) continue;
      mine.sort(order);
      body.append(...mine);
    }
    for (const tr of all) {
      const keep = matches(tr, text);
      tr.hidden = !keep;
      if (keep) visible++;
    }
    // A host section the filters empty is hidden with its rows.
    const sections = [...hostsBox.querySelectorAll("section.host")];
    for (const section of sections) {
      section.hidden = !section.querySelector("tr[data-name]:not([hidden])");
    }
    // "host" sorts the sections by name; else they keep the hosts file's order.
    const byHost = sorting.value === "host";
    hostsBox.append(...sections.sort((a, b) => (byHost
      ? (a.dataset.host < b.dataset.host ? -1 : 1)
      : Number(a.dataset.order) - Number(b.dataset.order))));
    drawChips(all);
    summarise(all);
    shown.textContent = visible === all.length ? "" : "Showing " + visible + " of " + all.length +
      " containers.";
  };

  // Statuses change live; the order only on a redraw or a choice, so rows do not jump.
  WT.restatus = function () {
    summarise([...rows.values()]);
    drawChips([...rows.values()]);
  };

  search.addEventListener("input", () => WT.arrange());
  sorting.addEventListener("change", () => WT.arrange());
})();
