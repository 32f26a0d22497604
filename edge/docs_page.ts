/**
 * The API docs page served at `GET /docs`: a small self-contained renderer of `/openapi.json`
 * (no CDN, so it works where nothing outside is reachable).
 * @module
 */

/** The page's HTML. */
export const DOCS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgeclass API</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2433; background: #f5f6f8; }
  body { margin: 0 auto; max-width: 960px; padding: 24px; }
  h1 { font-size: 22px; margin-bottom: 4px; }
  section.op { background: #fff; border-radius: 8px; padding: 12px 16px; margin: 12px 0;
    box-shadow: 0 1px 3px rgba(0,0,0,.12); }
  .method { display: inline-block; min-width: 52px; text-align: center; font-weight: 600;
    color: #fff; border-radius: 4px; padding: 2px 6px; margin-right: 8px; font-size: 13px; }
  .get { background: #0f9d58; } .post { background: #2f6fed; }
  code, pre { font-family: ui-monospace, monospace; font-size: 13px; }
  pre { background: #f0f2f6; padding: 8px; border-radius: 6px; overflow: auto; }
  table { border-collapse: collapse; font-size: 14px; margin: 6px 0; }
  td, th { border-bottom: 1px solid #e3e7ee; padding: 4px 10px 4px 0; text-align: left;
    vertical-align: top; }
</style>
</head>
<body>
<h1 id="title">edgeclass API</h1>
<p><a href="/openapi.json">openapi.json</a> · <a href="/">demo</a></p>
<div id="ops"></div>
<h2>Schemas</h2>
<div id="schemas"></div>
<script>
"use strict";
const el = (tag, attrs, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const kid of kids) e.append(kid);
  return e;
};
const refName = (s) => s && s.$ref ? s.$ref.split("/").pop() : null;
const schemaText = (s) => refName(s) || (s ? JSON.stringify(s) : "");
fetch("/openapi.json").then((r) => r.json()).then((spec) => {
  document.getElementById("title").textContent = spec.info.title + " " + spec.info.version;
  const ops = document.getElementById("ops");
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const sec = el("section", { class: "op", id: method + path.replace(/\\W+/g, "-") },
        el("h3", {}, el("span", { class: "method " + method }, method.toUpperCase()),
          el("code", {}, path)),
        el("p", {}, op.summary || ""));
      if (op.description) sec.append(el("p", {}, op.description));
      if (op.parameters && op.parameters.length) {
        const t = el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"),
          el("th", {}, "description")));
        for (const p of op.parameters) {
          t.append(el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in),
            el("td", {}, p.description || (p.schema && p.schema.description) || "")));
        }
        sec.append(t);
      }
      if (op.requestBody) {
        sec.append(el("p", {}, "Body: " + (op.requestBody.description || "")));
        const t = el("table", {});
        for (const [type, media] of Object.entries(op.requestBody.content)) {
          t.append(el("tr", {}, el("td", {}, el("code", {}, type)),
            el("td", {}, schemaText(media.schema))));
        }
        sec.append(t);
      }
      const t = el("table", {}, el("tr", {}, el("th", {}, "status"), el("th", {}, "meaning"),
        el("th", {}, "schema")));
      for (const [code, res] of Object.entries(op.responses)) {
        const media = res.content && Object.values(res.content)[0];
        t.append(el("tr", {}, el("td", {}, code), el("td", {}, res.description || ""),
          el("td", {}, schemaText(media && media.schema))));
      }
      sec.append(t);
      ops.append(sec);
    }
  }
  const schemas = document.getElementById("schemas");
  for (const [name, s] of Object.entries((spec.components || {}).schemas || {})) {
    schemas.append(el("h3", { id: "schema-" + name }, name),
      el("pre", {}, JSON.stringify(s, null, 2)));
  }
}).catch((e) => {
  document.getElementById("ops").textContent = "could not load /openapi.json: " + e.message;
});
</script>
</body>
</html>
`;
