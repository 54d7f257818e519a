// The interactive API page: built from /v1/openapi.json, calls sent to this server.
"use strict";
(function () {
  const root = document.getElementById("operations");
  const tokenInput = document.getElementById("api-token");
  tokenInput.value = sessionStorage.getItem("watchtower-token") || "";
  tokenInput.addEventListener("change", () => sessionStorage.setItem("watchtower-token", tokenInput.value));

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  // The request a form asks for: path parameters put in the path, the others in the query.
  function target(path, form) {
    const params = new URLSearchParams();
    let filled = path;
    for (const input of form.querySelectorAll("input[name]")) {
      if (input.dataset.in === "path") {
        filled = filled.replace("{" + input.name + "}", encodeURIComponent(input.value.trim()));
      } else if (input.type === "checkbox" ? input.checked : input.value) {
        params.append(input.name, input.type === "checkbox" ? "true" : input.value);
      }
    }
    const query = params.toString();
    return filled + (query ? "?" + query : "");
  }

  // An operation that replaces or changes containers says so (x-watchtower-changes):
  // nothing is sent before the person confirms it.
  function confirmed(method, url, op) {
    const changes = op["x-watchtower-changes"];
    if (!changes) return true;
    return window.confirm(changes + "\n\n" + method.toUpperCase() + " " + url + "\n\nSend it?");
  }

  async function send(method, path, form, output, op) {
    const url = target(path, form);
    if (!confirmed(method, url, op)) {
      output.textContent = "Not sent.";
      return;
    }
    const headers = {};
    if (tokenInput.value) headers.Authorization = "Bearer " + tokenInput.value;
    output.textContent = "\u2026";
    try {
      const response = await fetch(url, { method: method.toUpperCase(), headers: headers });
      const text = await response.text();
      let shown = text;
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (ignored) { /* not JSON */ }
      output.textContent = response.status + " " + response.statusText + "\n\n" + shown;
    } catch (error) {
      output.textContent = String(error);
    }
  }

  function operation(path, method, op) {
    const section = element("section", undefined, "card operation");
    const title = element("h3");
    title.append(element("span", method.toUpperCase(), "method method-" + method), element("code", " " + path));
    section.append(title, element("p", op.summary));
    section.dataset.operation = op.operationId;
    if (op["x-watchtower-changes"]) section.append(element("p", op["x-watchtower-changes"], "changes"));
    const form = element("form");
    for (const param of op.parameters || []) {
      const id = op.operationId + "-" + param.name;
      const label = element("label", param.name + ": " + (param.description || "(in the path)"));
      label.htmlFor = id;
      const input = element("input");
      input.id = id;
      input.name = param.name;
      input.dataset.in = param.in;
      if (param.required) input.required = true;
      if (param.schema.type === "boolean") input.type = "checkbox";
      form.append(label, input);
    }
    const output = element("pre", undefined, "output");
    const go = element("button", "Try it");
    go.type = "submit";
    const streaming = op.responses["200"] && op.responses["200"].content &&
      op.responses["200"].content["text/event-stream"];
    go.disabled = Boolean(streaming);
    if (streaming) form.append(element("p", "A stream: read it with curl -N or EventSource."));
    form.append(go);
    form.addEventListener("submit", (event) => { event.preventDefault(); send(method, path, form, output, op); });
    section.append(form, output);
    return section;
  }

  fetch("/v1/openapi.json").then((r) => r.json()).then((doc) => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) root.append(operation(path, method, op));
    }
  }).catch((error) => { root.textContent = "The API description could not be read: " + error; });
})();
