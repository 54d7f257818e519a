// The status page: a client of the HTTP API, live through /v1/events.
// Its parts: status-base.js (helpers, busy state), status-rows.js (the containers),
// status-plan.js (checks, the plan dialog, rollbacks); here the history, approvals,
// the event stream and its live mark, and the start.
"use strict";
(function () {
  const WT = window.WT;
  if (!WT) return;
  const { element, api, say, key, who, short } = WT;
  const app = WT.app;
  const historyBody = document.querySelector("#history tbody");
  const eventsList = document.getElementById("events");
  const lastEvent = document.getElementById("last-event");
  const live = document.getElementById("live");
  const liveNote = document.getElementById("live-note");
  const approvalsCard = document.getElementById("approvals-card");
  const approvalsList = document.getElementById("approvals");
  const MAX_STREAMS = Number(app.dataset.maxStreams || 8);
  // Without the stream the page reads the containers again this often.
  const POLL_SECONDS = 30;
  // After the server refused the stream, the page asks for it again this often.
  const RETRY_SECONDS = 60;
  const KINDS = ["run_started", "checking", "checked", "update_available", "skipped",
    "label_ignored", "pulling", "pulled", "planned", "hook_ran", "stopped", "started", "updated",
    "rolled_back", "repaired", "failed", "run_finished"];
  // What the check and pull phase says while nothing else moves (a pull can take minutes).
  const PROGRESS = {
    pulling: (d) => "pulling " + d.image + " for " + d.containers.join(", "),
    pulled: (d) => "pulled " + d.image + (d.size ? " (" + megabytes(d.size) + ")" : ""),
    planned: (d) => "planned: " + d.to_update + " to update, " + d.to_restart + " to restart, " +
      d.fresh + " up to date, " + d.skipped + " skipped",
  };

  function megabytes(bytes) { return (bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0) + " MB"; }

  WT.loadHistory = async function () {
    if (!WT.served.has("history")) return;
    const entries = (await api("GET", "/v1/history?limit=10")).entries.slice().reverse();
    historyBody.replaceChildren();
    for (const entry of entries) {
      const tr = element("tr");
      const when = new Date(entry.timestamp || entry.at).toLocaleString();
      // The skipped count says how many of them the registry quota deferred.
      const skipped = entry.deferred ? entry.skipped + " (" + entry.deferred + " deferred)"
        : entry.skipped;
      for (const [label, value] of [["When", when], ["Scanned", entry.scanned],
        ["Updated", entry.updated], ["Failed", entry.failed], ["Restarted", entry.restarted],
        ["Skipped", skipped]]) {
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
  };

  // Approvals ---------------------------------------------------------------------

  // "1.0 -> 1.1", or the digest it would go to when no version is known.
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
    const approve = WT.button("Approve", "Replace " + who(c) + " with " + a.shown +
      " now (this digest alone)", () => decide(a, true), WT.served.has("update"),
    "Approve " + who(c));
    approve.dataset.runs = "yes";
    actions.append(approve,
      WT.button("Reject", "Keep " + who(c) + " as it is; " + a.shown + " is not asked for again",
        () => decide(a, false), WT.served.has("update"), "Reject " + who(c)));
    item.append(text, actions);
    return item;
  }

  // The updates that wait for approval; the section is hidden without a history (400).
  WT.loadApprovals = async function () {
    if (!WT.served.has("update")) return;
    let approvals;
    try {
      approvals = (await api("GET", "/v1/approvals")).approvals;
    } catch (error) {
      approvals = null;
      if (error.status !== 400) say("The approvals could not be read: " + error.message);
    }
    WT.pending.clear();
    approvalsCard.hidden = approvals === null;
    for (const a of approvals || []) WT.pending.set(key(a.host, a.container), a);
    approvalsList.replaceChildren(...(approvals || []).map(approvalItem));
    if (approvals && !approvals.length) {
      approvalsList.append(element("li", "No update waits for approval.", "none"));
    }
    for (const tr of WT.rows.values()) WT.markAsked(tr.dataset.host, tr.dataset.name);
    WT.applyBusy();
  };

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
    WT.ask([element("p", text), list], approve ? "Approve" : "Reject", true,
      () => send(a, approve));
  }

  // The digest shown goes with the decision: the API refuses it if a newer push waits now.
  function send(a, approve) {
    const c = { name: a.container, host: a.host };
    const q = "digest=" + encodeURIComponent(a.digest) +
      (a.host ? "&host=" + encodeURIComponent(a.host) : "");
    const path = "/v1/approvals/" + encodeURIComponent(a.container) + "/" +
      (approve ? "approve" : "reject") + "?" + q;
    return WT.whileAsked(async () => {
      say((approve ? "Approving " : "Rejecting ") + a.shown + " for " + who(c) + "\u2026");
      try {
        const body = await api("POST", path);
        const entry = body.entry;
        say(who(c) + ": " + a.shown + (approve ? " approved" : " rejected") +
          (entry ? "; " + entry.outcome + (entry.reason ? " (" + entry.reason + ")" : "") : "") +
          ".");
      } catch (error) {
        say("The " + (approve ? "approval" : "rejection") + " failed: " + error.message);
      }
      await Promise.all([WT.loadApprovals(), WT.loadContainers(), WT.loadHistory()])
        .catch((error) => say(error.message));
    });
  }

  // Events ------------------------------------------------------------------------

  // The list is not announced item by item: one polite line says the latest event.
  function logEvent(kind, data) {
    const item = element("li");
    const at = new Date(data.at).toLocaleTimeString();
    // A run's own events name no container: their kind says "run started" already.
    item.append(element("time", at + " "));
    const subject = [data.container, data.host && (data.container ? "on " : "") + data.host];
    const named = subject.filter(Boolean).join(" ");
    if (named) item.append(element("span", named + " ", "who"));
    item.append(element("span", kind in PROGRESS ? PROGRESS[kind](data) : kind.replace(/_/g, " "),
      "kind kind-" + kind));
    if (data.reason) item.append(WT.reasonNode(data.reason));
    eventsList.prepend(item);
    while (eventsList.children.length > 50) eventsList.lastChild.remove();
    if (kind in PROGRESS) {
      lastEvent.textContent = PROGRESS[kind](data) + " at " + at;
    } else if (["run_started", "run_finished", "updated", "failed", "rolled_back"].includes(kind)) {
      lastEvent.textContent = (named ? named + " " : "") + kind.replace(/_/g, " ") + " at " + at;
    }
  }

  function refresh() {
    return Promise.all([WT.loadContainers(), WT.loadHistory(), WT.loadApprovals()])
      .catch((error) => say(error.message));
  }

  function onEvent(kind, data) {
    logEvent(kind, data);
    // Each event names its host (empty for one engine): only that host's row changes.
    const mark = (status, reason) => WT.setStatus(data.host, data.container, status, reason);
    switch (kind) {
      case "run_started": WT.setRunning(true); break;
      case "checked":
        WT.setChecked(data.host, data.container, data.at);
        // A skip keeps what the last plan said of its deferral; the run's end reads it anew.
        WT.setMarks(data.host, data.container, data.stage || "",
          data.status === "skipped" ? undefined : false);
        mark(data.status, data.reason);
        break;
      case "update_available":
        mark("stale");
        if (data.new_version) {
          WT.setVersion(data.host, data.container, data.old_version, data.new_version, data.notes);
        }
        break;
      case "stopped": case "started": mark("updating"); break;
      case "updated": mark("updated", data.restart_only ? "restarted" : ""); break;
      case "rolled_back": case "failed": mark("failed", data.reason); break;
      case "skipped": mark("skipped", data.reason); break;
      case "run_finished":
        WT.setRunning(false);
        // A run this page waits for says its own outcome when its answer comes.
        if (!WT.isBusy()) {
          say("Run finished: " + data.updated + " updated, " + data.failed + " failed.");
        }
        // The replacements run other images now, and the next run moved: read again.
        refresh();
        break;
    }
    if (kind !== "run_finished") WT.restatus();
  }

  // The live mark: "live", "reconnecting" or "off", and what the page does instead.
  function showLive(state, note) {
    app.dataset.live = state === "live" ? "yes" : "no";
    live.dataset.state = state;
    live.textContent = { live: "Live", connecting: "Connecting\u2026",
      reconnecting: "Reconnecting\u2026", off: "Live updates off" }[state];
    liveNote.textContent = note || "";
    liveNote.hidden = !note;
  }

  let poller = null;
  function poll(on) {
    if (on && !poller) poller = setInterval(refresh, POLL_SECONDS * 1000);
    if (!on && poller) {
      clearInterval(poller);
      poller = null;
    }
  }

  function listen() {
    if (!WT.served.has("events") || !window.EventSource) {
      showLive("off", "Live updates are off: the events endpoint is not served; the page " +
        "refreshes every " + POLL_SECONDS + " s.");
      poll(true);
      return;
    }
    showLive("connecting");
    const source = new EventSource("/v1/events");
    for (const kind of KINDS) {
      source.addEventListener(kind, (message) => onEvent(kind, JSON.parse(message.data).data));
    }
    let wasLive = false;
    source.addEventListener("open", () => {
      poll(false);
      showLive("live");
      // Events may have been missed while the stream was down.
      if (wasLive) refresh();
      wasLive = true;
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        // Refused (the server serves at most MAX_STREAMS at once) or not a stream at all:
        // the browser does not ask again by itself.
        source.close();
        showLive("off", "Live updates are off: the server refused the event stream (it serves " +
          "at most " + MAX_STREAMS + " at once; close another tab of this page); the page " +
          "refreshes every " + POLL_SECONDS + " s and asks again every " + RETRY_SECONDS + " s.");
        poll(true);
        setTimeout(listen, RETRY_SECONDS * 1000);
      } else {
        showLive("reconnecting", "Live updates are interrupted: reconnecting; the page " +
          "refreshes every " + POLL_SECONDS + " s meanwhile.");
        poll(true);
      }
    });
  }

  const checkAll = document.getElementById("check-all");
  const updateAll = document.getElementById("update-all");
  checkAll.addEventListener("click", () => WT.check([]));
  updateAll.addEventListener("click", () => WT.plan([]));
  for (const node of [checkAll, updateAll]) {
    node.dataset.runs = "yes";
    node.dataset.can = node.disabled ? "no" : "yes";
  }
  WT.showNextRun(document.getElementById("next-run").dataset.at);
  setInterval(WT.refreshAges, 30 * 1000);
  listen();
  refresh().then(WT.applyBusy);
})();
