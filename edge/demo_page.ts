/**
 * The demo page served at `GET /`: one self-contained HTML document (inline CSS and JS, no CDN),
 * where a person drops or picks an image and sees it next to its top-K bars.
 * @module
 */

/** The page's HTML. It calls `POST /v1/classify` on the same origin with the raw file bytes. */
export const DEMO_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgeclass demo</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2433; background: #f5f6f8; }
  body { margin: 0 auto; max-width: 920px; padding: 24px; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  .sub { color: #5a6478; margin: 0 0 16px; font-size: 14px; }
  #drop { display: block; border: 2px dashed #9aa5b8; border-radius: 10px; padding: 28px;
    text-align: center; background: #fff; cursor: pointer; }
  #drop.over { border-color: #2f6fed; background: #eef3ff; }
  .controls { display: flex; gap: 16px; align-items: center; margin: 12px 0; font-size: 14px; }
  .controls input[type=number] { width: 56px; }
  #result { display: grid; grid-template-columns: minmax(0, 320px) 1fr; gap: 24px; margin-top: 16px; }
  #preview { width: 100%; max-height: 320px; object-fit: contain; border-radius: 8px;
    background: #fff; box-shadow: 0 1px 3px rgba(0,0,0,.15); }
  .bar { display: grid; grid-template-columns: 140px 1fr 64px; align-items: center; gap: 8px;
    margin: 6px 0; font-size: 14px; }
  .bar .label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .bar .track { background: #e3e7ee; border-radius: 4px; height: 18px; overflow: hidden; }
  .bar .fill { background: #2f6fed; height: 100%; }
  .bar:first-child .fill { background: #0f9d58; }
  .bar .pct { text-align: right; font-variant-numeric: tabular-nums; }
  #status { font-size: 13px; color: #5a6478; min-height: 18px; }
  #status.error { color: #c5221f; }
  a { color: #2f6fed; }
</style>
</head>
<body>
<h1>edgeclass</h1>
<p class="sub">Model <b id="model-name">…</b> · <span id="model-labels"></span> ·
  <a href="/docs">API docs</a></p>
<label id="drop" for="file">Drop an image here, or click to pick one
  <input id="file" type="file" accept="image/*" hidden>
</label>
<div class="controls">
  <label>top-K <input id="topk" type="number" min="0" value="5"></label>
  <label>API key <input id="key" type="password" placeholder="(if the server needs one)"></label>
</div>
<div id="status"></div>
<div id="result" hidden>
  <div><img id="preview" alt="the uploaded image"></div>
  <div><div id="bars" aria-label="top-K predictions"></div><div id="timing" class="sub"></div></div>
</div>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const status = (text, isError) => {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
};
const headers = () => {
  const key = $("key").value.trim();
  return key ? { Authorization: "Bearer " + key } : {};
};
async function loadModel() {
  try {
    const res = await fetch("/v1/model", { headers: headers() });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ? body.error.message : res.statusText);
    $("model-name").textContent = body.name + " (" + body.engine + ")";
    $("model-labels").textContent = body.labels.length + " labels";
  } catch (e) {
    $("model-name").textContent = "unavailable";
    status("model info: " + e.message, true);
  }
}
function showBars(predictions) {
  const bars = $("bars");
  bars.replaceChildren();
  for (const p of predictions) {
    const row = document.createElement("div");
    row.className = "bar";
    row.dataset.label = p.label;
    row.dataset.score = String(p.score);
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = p.label;
    label.title = p.label;
    const track = document.createElement("span");
    track.className = "track";
    const fill = document.createElement("span");
    fill.className = "fill";
    fill.style.display = "block";
    fill.style.width = (100 * p.score).toFixed(2) + "%";
    track.append(fill);
    const pct = document.createElement("span");
    pct.className = "pct";
    pct.textContent = (100 * p.score).toFixed(1) + "%";
    row.append(label, track, pct);
    bars.append(row);
  }
}
let previewUrl = null;
async function classify(file) {
  if (!file) return;
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = URL.createObjectURL(file);
  $("preview").src = previewUrl;
  $("result").hidden = false;
  $("bars").replaceChildren();
  $("timing").textContent = "";
  status("classifying " + file.name + " …");
  try {
    const k = encodeURIComponent($("topk").value || "5");
    const res = await fetch("/v1/classify?top_k=" + k, {
      method: "POST",
      headers: { "Content-Type": file.type || "application/octet-stream", ...headers() },
      body: file,
    });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ? body.error.code + ": " + body.error.message : res.statusText);
    showBars(body.predictions);
    const t = body.timing_ms;
    $("timing").textContent = "decode " + t.decode.toFixed(1) + " ms · preprocess " +
      t.preprocess.toFixed(1) + " ms · inference " + t.inference.toFixed(1) + " ms";
    status(file.name);
  } catch (e) {
    status(e.message, true);
  }
}
$("file").addEventListener("change", (e) => classify(e.target.files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  classify(e.dataTransfer.files[0]);
});
$("key").addEventListener("change", loadModel);
loadModel();
</script>
</body>
</html>
`;
