// The status page: a client of the HTTP API, live through /v1/events.
"use strict";
(function () {
  const app = document.getElementById("app");
  if (!app) return;
  const served = new Set(app.dataset.endpoints.split(",").filter(Boolean));
  const table = document.getElementById("containers");
  const tbody = table.querySelector("tbody");
  const hostsBox = document.getElementById("hosts");
  const historyBody = document.querySelector("#history tbody");
  const message = document.getElementById("message");
  const runState = document.getElementById("run-state");
  const eventsList = document.getElementById("events");
  const dialog = document.getElementById("plan");
  const planBody = document.getElementById("plan-body");
  const planGo = document.getElementById("plan-go");
  // Rows and digests by host and name: two hosts of a hosts file may each run a "web".
  const rows = new Map(); // key(host, name) -> its row
  const latest = new Map(); // key(host, name) -> registry digest, from the last check
  const held = new Map(); // key(host, name) -> the version a rollback holds it on
  const timing = new Map(); // key(host, name) -> {waits, next_due}: its windows and schedule
  const pending = new Map(); // key(host, name) -> the approval its update waits for
  const approvalsCard = document.getElementById("approvals-card");
  const approvalsList = document.getElementById("approvals");
  const KINDS = ["run_started", "checked", "update_available", "skipped", "label_ignored",
    "hook_ran", "stopped", "started", "updated", "rolled_back", "repaired", "failed",
    "run_finished"];

  function short(digest) {
    return digest ? digest.replace("sha256:", "").slice(0, 12) : "\u2014";
  }

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function say(text) { message.textContent = text; }

  async function api(method, path) {
    const response = await fetch(path, {
      method: method, credentials: "same-origin", headers: { Accept: "application/json" },
    });
    if (response.status === 401) {
      window.location.reload();
      throw new Error("the token is no longer accepted");
    }
    const type = response.headers.get("Content-Type") || "";
    const body = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) {
      const error = new Error((body && body.error) || body || response.statusText);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  // A container's key: its host (empty for one engine) and its name.
  function key(host, name) { return (host || "") + "\u0000" + name; }

  // "web", or "web on b" on a fleet of named hosts.
  function who(c) { return c.host ? c.name + " on " + c.host : c.name; }

  function setStatus(host, name, status, reason) {
    const tr = rows.get(key(host, name));
    if (!tr) return;
    tr.dataset.status = status;
    const cell = tr.querySelector(".status");
    cell.replaceChildren(element("span", status, "badge status-" + status));
    if (reason) cell.append(element("span", reason, "reason"));
    // A hold outlasts each status: no run updates the container until it is released.
    const on = held.get(key(host, name));
    if (on) cell.append(element("span", "held on " + on, "reason held"));
    // A stale container outside its window (or off its own schedule) says when it is due.
    const when = timing.get(key(host, name));
    if (status === "stale" && when && when.waits) cell.append(dueLine(when));
    markAsked(host, name);
  }

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
  function markAsked(host, name) {
    const tr = rows.get(key(host, name));
    if (!tr) return;
    const cell = tr.querySelector(".status");
    const old = cell.querySelector(".asked");
    if (old) old.remove();
    const asked = pending.get(key(host, name));
    if (asked && !["updating", "updated"].includes(tr.dataset.status)) {
      cell.append(element("span", "waits for approval of " + asked.shown, "reason asked"));
    }
  }

  function setLatest(host, name, digest) {
    latest.set(key(host, name), digest);
    const tr = rows.get(key(host, name));
    if (tr) tr.querySelector(".latest").textContent = short(digest);
  }

  // "1.25.3 \u2192 1.25.4" under the image, with the release notes' link; the version alone when current.
  function setVersion(host, name, version, latestVersion, notes) {
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
  }

  function button(label, title, handler, enabled, name) {
    const node = element("button", label);
    node.type = "button";
    node.title = title;
    node.disabled = !enabled;
    if (name) node.setAttribute("aria-label", name);
    node.addEventListener("click", handler);
    return node;
  }

  // A tag rule's newer tag beside the one running: "nginx:1.25.3 \u2192 nginx:1.25.4".
  function moving(image, latest) {
    return latest ? image + " \u2192 " + latest : image;
  }

  // The API narrows a check or an update by name on every host: the titles say so.
  function titles(c) {
    if (!c.host) return ["Check " + c.name, "Update " + c.name];
    const every = " every container named " + c.name + ", on each host that runs one";
    return ["Check" + every, "Update" + every + " (the API selects by name across hosts)"];
  }

  function containerRow(c) {
    const tr = element("tr");
    if (c.host) tr.dataset.host = c.host;
    tr.dataset.name = c.name;
    const cells = [
      ["Container", c.name, "name"], ["Image", moving(c.image, c.latest_image), "image"],
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
    actions.append(
      button("Check", checkTitle, () => check([c.name]), served.has("check")),
      button("Update", updateTitle, () => plan([c.name]),
        served.has("check") && served.has("update")),
    );
    // Going back is for this container alone, on its own host.
    if (c.previous) {
      actions.append(button("Roll back", "Put " + c.name + " back on " + c.previous +
        ", and hold it there", () => rollBack(c), served.has("update"), "Roll back " + who(c)));
    }
    if (c.held) {
      tr.dataset.held = c.held;
      actions.append(button("Release", "Let " + c.name + " update again",
        () => release(c), served.has("update"), "Release " + who(c)));
    }
    tr.append(actions);
    // Its maintenance windows and own schedule, as its labels (or --window) give them.
    const rules = (c.windows || []).map((w) => "window " + w);
    if (c.schedule) rules.push("schedule " + c.schedule);
    if (rules.length) {
      tr.querySelector(".name").append(element("span", rules.join(", "), "reason rules"));
    }
    rows.set(key(c.host, c.name), tr);
    setVersion(c.host, c.name, c.version, c.latest_version, c.notes);
    return tr;
  }

  function fill(body, containers) {
    for (const c of containers) {
      if (c.held) held.set(key(c.host, c.name), c.held);
      timing.set(key(c.host, c.name), { waits: c.waits || "", next_due: c.next_due || null });
      body.append(containerRow(c));
      setStatus(c.host, c.name, c.status, c.reason);
    }
  }

  // One section per host, in the order the API lists them: a heading, then a table like the one above.
  function renderHosts(byHost) {
    let index = 0;
    for (const [host, containers] of byHost) {
      const section = element("section", undefined, "host");
      section.dataset.host = host;
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

  function render(containers) {
    rows.clear();
    held.clear();
    timing.clear();
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
      return;
    }
    if (!containers.length) {
      const tr = element("tr");
      const td = element("td", "No container is watched.");
      td.colSpan = 7;
      tr.append(td);
      tbody.append(tr);
      return;
    }
    fill(tbody, containers);
  }

  async function loadContainers() {
    if (!served.has("containers")) {
      say("The containers endpoint is not served (--http-api-endpoints).");
      tbody.replaceChildren();
      hostsBox.replaceChildren();
      table.hidden = false;
      return;
    }
    render((await api("GET", "/v1/containers/details")).containers);
  }

  async function loadHistory() {
    if (!served.has("history")) return;
    const entries = (await api("GET", "/v1/history?limit=10")).entries.slice().reverse();
    historyBody.replaceChildren();
    for (const entry of entries) {
      const tr = element("tr");
      const when = new Date(entry.timestamp || entry.at).toLocaleString();
      for (const [label, value] of [["When", when], ["Scanned", entry.scanned],
        ["Updated", entry.updated], ["Failed", entry.failed], ["Restarted", entry.restarted],
        ["Skipped", entry.skipped]]) {
        const td = element("td", String(value));
        td.dataset.label = label;
        tr.append(td);
      }
      historyBody.append(tr);
    }
    if (!entries.length) {
      const tr = element("tr");
      const td = element("td", "No run yet.");
      td.colSpan = 6;
      tr.append(td);
      historyBody.append(tr);
    }
  }

  function query(names) {
    return names.map((n) => "container=" + encodeURIComponent(n)).join("&");
  }

  async function runCheck(names) {
    const q = query(names);
    const body = await api("POST", "/v1/check" + (q ? "?" + q : ""));
    for (const c of body.containers) {
      if (!c.name) continue; // a host that could not be checked
      setLatest(c.host, c.name, c.latest_digest);
      timing.set(key(c.host, c.name), { waits: c.waits || "", next_due: c.next_due || null });
      setVersion(c.host, c.name, c.version, c.latest_version, c.notes);
      setStatus(c.host, c.name, c.error ? "skipped" : c.update_available ? "stale" : "fresh",
        c.error);
    }
    return body.containers;
  }

  // "Host b could not be checked: ..." for each host the check could not reach.
  function unreachable(results) {
    return results.filter((c) => !c.name)
      .map((c) => " Host " + c.host + " could not be checked: " + c.error + ".").join("");
  }

  async function check(names) {
    say("Checking\u2026");
    try {
      const results = await runCheck(names);
      const checked = results.filter((c) => c.name);
      const stale = checked.filter((c) => c.update_available).length;
      say("Checked " + checked.length + " container(s): " + stale + " with an update." +
        unreachable(results));
    } catch (error) {
      say("The check failed: " + error.message);
    }
  }

  // The plan dialog: what will happen, and onGo only once confirmed. A cautious question
  // (an approval) starts on Cancel, so that Enter alone changes nothing.
  function ask(nodes, goLabel, enabled, onGo, cautious) {
    planBody.replaceChildren(...nodes);
    planGo.textContent = goLabel;
    planGo.disabled = !enabled;
    dialog.returnValue = "";
    dialog.showModal();
    (enabled && !cautious ? planGo : dialog.querySelector("button[value=cancel]")).focus();
    dialog.addEventListener("close", async function onClose() {
      dialog.removeEventListener("close", onClose);
      if (dialog.returnValue === "go") await onGo();
    });
  }

  async function plan(names) {
    say("Working out the plan\u2026");
    let results;
    try {
      results = await runCheck(names);
    } catch (error) {
      say("The check failed: " + error.message);
      return;
    }
    say(unreachable(results).trim());
    const stale = results.filter((c) => c.update_available);
    if (!stale.length) {
      ask([element("p", "Nothing to update: every container checked runs what its registry serves.")],
        "Update", false, async () => {});
      return;
    }
    const list = element("ul", undefined, "plan-list");
    for (const c of stale) {
      list.append(element("li", who(c) + " (" + moving(c.image, c.latest_image) + "): " + short(c.digest) +
        " \u2192 " + short(c.latest_digest) +
        (c.latest_version ? ", " + c.version + " \u2192 " + c.latest_version : "")));
    }
    // By name: the API replaces each stale container of that name, on every host.
    ask([element("p", "These containers will be replaced (those that depend on them are restarted):"),
      list], "Update", true, () => update([...new Set(stale.map((c) => c.name))]));
  }

  // The container's own query: its name, and its host on a fleet of named hosts.
  function which(c) {
    return "container=" + encodeURIComponent(c.name) +
      (c.host ? "&host=" + encodeURIComponent(c.host) : "");
  }

  function rollBack(c) {
    const list = element("ul", undefined, "plan-list");
    list.append(element("li", who(c) + " (" + c.image + "): " + (c.version || short(c.digest)) +
      " \u2192 " + c.previous));
    ask([element("p", "This container will be put back on the image it ran before (those that " +
      "depend on it are restarted), and held there: no run updates it until it is released."),
    list], "Roll back", true, () => goBack(c));
  }

  // A rollback's answer comes when it is done; its run's events update the row meanwhile.
  async function goBack(c) {
    say("Rolling back " + who(c) + "\u2026");
    try {
      const body = await api("POST", "/v1/rollback?" + which(c));
      say(who(c) + ": " + body.entry.reason + "; held there until released.");
    } catch (error) {
      say("The rollback failed: " + error.message);
    }
    await Promise.all([loadContainers(), loadHistory()]).catch((error) => say(error.message));
  }

  async function release(c) {
    try {
      const body = await api("POST", "/v1/release?" + which(c));
      say(body.released ? who(c) + " is released: a run updates it when its image is stale."
        : who(c) + " was not held.");
    } catch (error) {
      say("The release failed: " + error.message);
    }
    await loadContainers().catch((error) => say(error.message));
  }

  async function update(names) {
    const q = query(names);
    const live = served.has("events");
    say("Updating " + names.join(", ") + "\u2026");
    try {
      // With the event stream the page follows the run live; without it, it waits for the answer.
      await api("POST", "/v1/update?" + (live ? "async=true" + (q ? "&" : "") : "") + q);
      if (!live) {
        say("Updated.");
        await Promise.all([loadContainers(), loadHistory()]);
      }
    } catch (error) {
      say("The update was not started: " + error.message);
    }
  }

  // "1.0 \u2192 1.1", or the digest it would go to when no version is known.
  function change(a) {
    const to = a.new_version || short(a.digest);
    return a.old_version ? a.old_version + " \u2192 " + to : "\u2192 " + to;
  }

  function approvalItem(a) {
    const c = { name: a.container, host: a.host };
    const item = element("li");
    item.dataset.name = a.container;
    if (a.host) item.dataset.host = a.host;
    item.dataset.digest = a.digest;
    const text = element("div", undefined, "approval");
    text.append(element("strong", who(c), "name"), " ", element("span", a.image, "image"), " ",
      element("span", change(a), "change"));
    if (a.notes && /^https?:\/\//.test(a.notes)) {
      const link = element("a", "release notes", "notes");
      link.href = a.notes;
      link.rel = "noopener noreferrer";
      text.append(" ", link);
    }
    text.append(element("span", "digest " + short(a.digest) + ", found " +
      new Date(a.asked_at).toLocaleString(), "reason"));
    const actions = element("div", undefined, "row-actions");
    actions.append(
      button("Approve", "Replace " + who(c) + " with " + a.shown + " now (this digest alone)",
        () => decide(a, true), served.has("update"), "Approve " + who(c)),
      button("Reject", "Keep " + who(c) + " as it is; " + a.shown + " is not asked for again",
        () => decide(a, false), served.has("update"), "Reject " + who(c)),
    );
    item.append(text, actions);
    return item;
  }

  // The updates that wait for approval; the section is hidden without a history (400).
  async function loadApprovals() {
    if (!served.has("update")) return;
    let approvals;
    try {
      approvals = (await api("GET", "/v1/approvals")).approvals;
    } catch (error) {
      approvals = null;
      if (error.status !== 400) say("The approvals could not be read: " + error.message);
    }
    pending.clear();
    approvalsCard.hidden = approvals === null;
    for (const a of approvals || []) pending.set(key(a.host, a.container), a);
    approvalsList.replaceChildren(...(approvals || []).map(approvalItem));
    if (approvals && !approvals.length) {
      approvalsList.append(element("li", "No update waits for approval.", "none"));
    }
    for (const tr of rows.values()) markAsked(tr.dataset.host, tr.dataset.name);
  }

  // Approve or reject through the plan dialog, which starts on Cancel.
  function decide(a, approve) {
    const c = { name: a.container, host: a.host };
    const list = element("ul", undefined, "plan-list");
    list.append(element("li", who(c) + " (" + a.image + "): " + change(a) + ", digest " +
      short(a.digest)));
    const text = approve
      ? "This update is approved for this digest alone, and runs now: the container is " +
        "replaced (those that depend on it are restarted). A newer push is asked for anew."
      : "This update is rejected: the container keeps its image, and this digest is not " +
        "asked for again.";
    ask([element("p", text), list], approve ? "Approve" : "Reject", true,
      () => send(a, approve), true);
  }

  // The digest shown goes with the decision: the API refuses it if a newer push waits now.
  async function send(a, approve) {
    const c = { name: a.container, host: a.host };
    const q = "digest=" + encodeURIComponent(a.digest) +
      (a.host ? "&host=" + encodeURIComponent(a.host) : "");
    const path = "/v1/approvals/" + encodeURIComponent(a.container) + "/" +
      (approve ? "approve" : "reject") + "?" + q;
    say((approve ? "Approving " : "Rejecting ") + a.shown + " for " + who(c) + "\u2026");
    try {
      const body = await api("POST", path);
      const entry = body.entry;
      say(who(c) + ": " + a.shown + (approve ? " approved" : " rejected") +
        (entry ? "; " + entry.outcome + (entry.reason ? " (" + entry.reason + ")" : "") : "") + ".");
    } catch (error) {
      say("The " + (approve ? "approval" : "rejection") + " failed: " + error.message);
    }
    await Promise.all([loadApprovals(), loadContainers(), loadHistory()])
      .catch((error) => say(error.message));
  }

  function logEvent(kind, data) {
    const item = element("li");
    const at = new Date(data.at).toLocaleTimeString();
    // A run's own events name no container: their kind says "run started" already.
    item.append(element("time", at + " "));
    const subject = [data.container, data.host && (data.container ? "on " : "") + data.host];
    if (data.container || data.host) {
      item.append(element("span", subject.filter(Boolean).join(" ") + " ", "who"));
    }
    item.append(element("span", kind.replace(/_/g, " "), "kind kind-" + kind));
    if (data.reason) item.append(element("span", " (" + data.reason + ")", "reason"));
    eventsList.prepend(item);
    while (eventsList.children.length > 50) eventsList.lastChild.remove();
  }

  function onEvent(kind, data) {
    logEvent(kind, data);
    // Each event names its host (empty for one engine): only that host's row changes.
    const mark = (status, reason) => setStatus(data.host, data.container, status, reason);
    switch (kind) {
      case "run_started": runState.textContent = "running"; break;
      case "checked": mark(data.status, data.reason); break;
      case "update_available":
        mark("stale");
        if (data.new_version) {
          setVersion(data.host, data.container, data.old_version, data.new_version, data.notes);
        }
        break;
      case "stopped": case "started": mark("updating"); break;
      case "updated": mark("updated", data.restart_only ? "restarted" : ""); break;
      case "rolled_back": case "failed": mark("failed", data.reason); break;
      case "skipped": mark("skipped", data.reason); break;
      case "run_finished":
        runState.textContent = "idle";
        say("Run finished: " + data.updated + " updated, " + data.failed + " failed.");
        // The replacements run other images now: read the containers again.
        Promise.all([loadContainers(), loadHistory(), loadApprovals()])
          .catch((error) => say(error.message));
        break;
    }
  }

  function listen() {
    if (!served.has("events") || !window.EventSource) return;
    const source = new EventSource("/v1/events");
    for (const kind of KINDS) {
      source.addEventListener(kind, (message) => onEvent(kind, JSON.parse(message.data).data));
    }
    source.addEventListener("open", () => { app.dataset.live = "yes"; });
    source.addEventListener("error", () => { app.dataset.live = "no"; });
  }

  document.getElementById("check-all").addEventListener("click", () => check([]));
  document.getElementById("update-all").addEventListener("click", () => plan([]));
  const next = document.getElementById("next-run");
  if (next.dataset.at) next.textContent = new Date(next.dataset.at).toLocaleString();
  listen();
  Promise.all([loadContainers(), loadHistory(), loadApprovals()])
    .catch((error) => say(error.message));
})();
