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

  async function send(method, path, form, output) {
    const params = new URLSearchParams();
    for (const input of form.querySelectorAll("input[name]")) {
      if (input.type === "checkbox" ? input.checked : input.value) {
        params.append(input.name, input.type === "checkbox" ? "true" : input.value);
      }
    }
    const headers = {};
    if (tokenInput.value) headers.Authorization = "Bearer " + tokenInput.value;
    output.textContent = "\u2026";
    try {
      const query = params.toString();
      const response = await fetch(path + (query ? "?" + query : ""), { method: method.toUpperCase(), headers: headers });
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
    const form = element("form");
    for (const param of op.parameters || []) {
      const id = op.operationId + "-" + param.name;
      const label = element("label", param.name + ": " + param.description);
      label.htmlFor = id;
      const input = element("input");
      input.id = id;
      input.name = param.name;
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
    form.addEventListener("submit", (event) => { event.preventDefault(); send(method, path, form, output); });
    section.append(form, output);
    return section;
  }

  fetch("/v1/openapi.json").then((r) => r.json()).then((doc) => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) root.append(operation(path, method, op));
    }
  }).catch((error) => { root.textContent = "The API description could not be read: " + error; });
})();
