// The status page's shared parts: DOM and API helpers, times, and the busy state.
// The page's scripts share one object, window.WT; each file adds its own part to it.
"use strict";
(function () {
  const app = document.getElementById("app");
  if (!app) return;
  const WT = (window.WT = {});
  WT.app = app;
  WT.served = new Set(app.dataset.endpoints.split(",").filter(Boolean));
  const message = document.getElementById("message");

  WT.short = function (digest) {
    return digest ? digest.replace("sha256:", "").slice(0, 12) : "\u2014";
  };

  WT.element = function (tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  };

  // The message line under the containers' heading: one sentence, or nodes (a list).
  WT.say = function (text, ...nodes) {
    message.replaceChildren(text, ...nodes);
  };

  WT.api = async function (method, path) {
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
  };

  // "2 wait for the canaries", "12 deferred to the next run: registry quota": the counts the
  // overview, the plan and a run's outcome share.
  WT.canaryWords = function (n) {
    return n + (n === 1 ? " waits" : " wait") + " for the canaries";
  };
  WT.deferredWords = function (n) { return n + " deferred to the next run: registry quota"; };

  // A container's key: its host (empty for one engine) and its name.
  WT.key = function (host, name) { return (host || "") + "\u0000" + name; };

  // "web", or "web on b" on a fleet of named hosts.
  WT.who = function (c) { return c.host ? c.name + " on " + c.host : c.name; };

  WT.query = function (names) {
    return names.map((n) => "container=" + encodeURIComponent(n)).join("&");
  };

  // "just now", "3 min ago", "2 h ago", "4 days ago": how long since an RFC 3339 time.
  WT.ago = function (at, now) {
    const seconds = Math.max(0, ((now || Date.now()) - new Date(at).getTime()) / 1000);
    if (seconds < 45) return "just now";
    if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
    if (seconds < 86400 * 2) return Math.round(seconds / 3600) + " h ago";
    return Math.round(seconds / 86400) + " days ago";
  };

  // "checked 3 min ago", its exact time in the title; the page keeps these current.
  WT.agoNode = function (prefix, at) {
    const node = WT.element("time", prefix + " " + WT.ago(at), "ago");
    node.dateTime = at;
    node.dataset.prefix = prefix;
    node.title = new Date(at).toLocaleString();
    return node;
  };

  WT.refreshAges = function () {
    const now = Date.now();
    for (const node of document.querySelectorAll("time.ago")) {
      node.textContent = node.dataset.prefix + " " + WT.ago(node.dateTime, now);
    }
  };

  // A reason on one line; the engine's or registry's full text behind a toggle.
  WT.reasonNode = function (reason, detail, className) {
    const full = (detail || reason || "").trim();
    let line = (reason || full).split("\n")[0].trim();
    if (line.length > 100) line = line.slice(0, 97) + "\u2026";
    if (!full || full === line) return WT.element("span", line, className || "reason");
    const more = WT.element("details", undefined, (className || "reason") + " more");
    more.append(WT.element("summary", line), WT.element("span", full, "detail"));
    return more;
  };

  WT.button = function (label, title, handler, enabled, name) {
    const node = WT.element("button", label);
    node.type = "button";
    node.title = title;
    node.disabled = !enabled;
    node.dataset.can = enabled ? "yes" : "no";
    if (name) node.setAttribute("aria-label", name);
    node.addEventListener("click", handler);
    return node;
  };

  // Busy: a run goes on (its events say so), or a request the page sent waits for its
  // answer. Meanwhile every button that starts a run is disabled, so that a second
  // click cannot start a run whose message replaces the first one's.
  const busy = { run: false, asked: 0 };
  WT.isBusy = function () { return busy.run || busy.asked > 0; };
  WT.applyBusy = function () {
    const on = WT.isBusy();
    app.dataset.busy = on ? "yes" : "no";
    for (const node of document.querySelectorAll("button[data-runs]")) {
      node.disabled = on || node.dataset.can !== "yes";
    }
    const state = document.getElementById("run-state");
    state.textContent = busy.run ? "running" : busy.asked ? "waiting for an answer" : "idle";
  };
  WT.setRunning = function (running) { busy.run = running; WT.applyBusy(); };
  // While work() waits for its answer, the run buttons stay disabled.
  WT.whileAsked = async function (work) {
    busy.asked++;
    WT.applyBusy();
    try {
      return await work();
    } finally {
      busy.asked--;
      WT.applyBusy();
    }
  };
})();
