import assert from "node:assert/strict";
import { type AppDeps, createApp } from "./app.ts";
import { loadServedModel, type ServedModel } from "./served_model.ts";
import { makeTestImages } from "./test_images_fixture.ts";
import { makeTinyModel } from "./tiny_model_fixture.ts";

const LABELS = ["red", "green", "blue", "dark", "light", "other_a", "other_b"];
const dir = await Deno.makeTempDir({ prefix: "edge_app_test_" });
const tiny = await makeTinyModel(dir, "tiny", { labels: LABELS, size: 16, temperature: 1.5 });
const images = await makeTestImages(dir);
const bytesOf = async (name: string) => await Deno.readFile(images[name]);
const model: ServedModel = await loadServedModel(await Deno.readFile(tiny.onnxPath), {
  name: "tiny",
  engine: "web",
  threads: 1,
  maxBatch: 4,
  batchWaitMs: 0,
  queueLimit: 8,
});
const LIMITS = { maxBodyBytes: 64 * 1024, maxPixels: 1_000_000, batchMaxFiles: 4 };

function makeApp(extra: Partial<AppDeps> = {}) {
  const logs: Record<string, unknown>[] = [];
  const app = createApp({
    model: () => model,
    limits: LIMITS,
    logger: (r) => logs.push(r),
    ...extra,
  });
  return { app, logs };
}

type Json = Record<string, unknown> & {
  predictions: { label: string; score: number; index: number }[];
  error: { code: string; message: string };
};

async function call(app: ReturnType<typeof createApp>, path: string, init?: RequestInit) {
  const res = await app.request(path, init);
  const text = await res.text();
  const isJson = (res.headers.get("content-type") ?? "").startsWith("application/json");
  return { res, status: res.status, body: (isJson ? JSON.parse(text) : text) as Json };
}

function form(...files: [string, Uint8Array | string, string?][]): FormData {
  const f = new FormData();
  for (const [field, content, filename] of files) {
    if (typeof content === "string") f.append(field, content);
    else f.append(field, new File([content as Uint8Array<ArrayBuffer>], filename ?? "x.bin"));
  }
  return f;
}

Deno.test("GET /healthz answers ok with a request id, echoing a valid incoming one", async () => {
  const { app } = makeApp();
  const a = await call(app, "/healthz");
  assert.equal(a.status, 200);
  assert.deepEqual(a.body, { status: "ok" });
  assert.match(a.res.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  const b = await call(app, "/healthz", { headers: { "X-Request-Id": "abc-123" } });
  assert.equal(b.res.headers.get("x-request-id"), "abc-123");
  const c = await call(app, "/healthz", { headers: { "X-Request-Id": "bad id <script>" } });
  assert.notEqual(c.res.headers.get("x-request-id"), "bad id <script>");
});

Deno.test("before the model is ready: /readyz and /v1/* are 503 not_ready, /healthz is 200", async () => {
  const slot: { ready?: ServedModel } = {};
  const { app } = makeApp({ model: () => slot.ready });
  for (
    const [path, init] of [
      ["/readyz", undefined],
      ["/v1/model", undefined],
      ["/v1/classify", { method: "POST", body: await bytesOf("red") }],
    ] as const
  ) {
    const r = await call(app, path, init);
    assert.equal(r.status, 503, path);
    assert.equal(r.body.error.code, "not_ready");
    assert.equal(r.res.headers.get("retry-after"), "1");
    assert.ok(r.res.headers.get("x-request-id"), "request id on errors too");
  }
  assert.equal((await call(app, "/healthz")).status, 200);
  slot.ready = model;
  const r = await call(app, "/readyz");
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { status: "ready", model: "tiny", engine: "web" });
});

Deno.test("a readiness problem (decoder warm-up failed) keeps /readyz 503 not_ready; /v1/* still serves", async () => {
  const problem: { now?: string } = { now: "decoder warm-up failed: gif: no wasm" };
  const { app } = makeApp({ readinessProblem: () => problem.now });
  const r = await call(app, "/readyz");
  assert.equal(r.status, 503);
  assert.equal(r.body.error.code, "not_ready");
  assert.match(r.body.error.message, /gif: no wasm/);
  assert.ok(r.res.headers.get("retry-after"));
  const png = await call(app, "/v1/classify", { method: "POST", body: await bytesOf("red") });
  assert.equal(png.status, 200, "the formats that decode are still served");
  problem.now = undefined;
  assert.equal((await call(app, "/readyz")).status, 200);
});

Deno.test("POST /v1/classify ranks softmax probabilities and gets solid colours right", async () => {
  const { app } = makeApp();
  const table: [string, string][] = [
    ["red", "red"],
    ["blue", "blue"],
    ["green", "green"],
    ["dark", "dark"],
    ["light_rgba", "light"],
  ];
  for (const [file, label] of table) {
    const r = await call(app, "/v1/classify?top_k=0", {
      method: "POST",
      body: await bytesOf(file),
    });
    assert.equal(r.status, 200, `${file}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.model, "tiny");
    const preds = r.body.predictions;
    assert.equal(preds.length, LABELS.length);
    assert.equal(preds[0].label, label, file);
    const sum = preds.reduce((a, p) => a + p.score, 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, `scores sum to ${sum}`);
    for (let i = 1; i < preds.length; i++) assert.ok(preds[i - 1].score >= preds[i].score);
    for (const p of preds) assert.equal(LABELS[p.index], p.label);
    const t = r.body.timing_ms as Record<string, number>;
    for (const k of ["decode", "preprocess", "inference"]) assert.ok(t[k] >= 0, k);
  }
});

Deno.test("POST /v1/classify accepts raw bytes under any content type, and multipart `image`", async () => {
  const { app } = makeApp();
  const red = await bytesOf("red");
  const raw = await call(app, "/v1/classify", { method: "POST", body: red });
  for (
    const type of [
      "image/png",
      "application/octet-stream",
      "application/x-www-form-urlencoded",
      "text/plain",
    ]
  ) {
    const r = await call(app, "/v1/classify", {
      method: "POST",
      body: red,
      headers: { "Content-Type": type },
    });
    assert.equal(r.status, 200, type);
    assert.deepEqual(r.body.predictions, raw.body.predictions, type);
  }
  const mp = await call(app, "/v1/classify", {
    method: "POST",
    body: form(["image", red, "red.png"]),
  });
  assert.equal(mp.status, 200);
  assert.deepEqual(mp.body.predictions, raw.body.predictions);
});

Deno.test("top_k: default 5, 0 = all, huge clamps, invalid is 400 invalid_parameter", async () => {
  const { app } = makeApp();
  const body = await bytesOf("red");
  const table: [string, number | "invalid_parameter"][] = [
    ["", 5],
    ["?top_k=0", 7],
    ["?top_k=1", 1],
    ["?top_k=3", 3],
    ["?top_k=7", 7],
    ["?top_k=8", 7],
    ["?top_k=1e9", 7],
    ["?top_k=99999999999999999999", 7],
    ["?top_k=-1", "invalid_parameter"],
    ["?top_k=NaN", "invalid_parameter"],
    ["?top_k=abc", "invalid_parameter"],
    ["?top_k=1.5", "invalid_parameter"],
    ["?top_k=", "invalid_parameter"],
    ["?top_k=1&top_k=2", "invalid_parameter"],
  ];
  for (const [query, want] of table) {
    const r = await call(app, `/v1/classify${query}`, { method: "POST", body });
    if (typeof want === "number") {
      assert.equal(r.status, 200, query);
      assert.equal(r.body.predictions.length, want, query);
    } else {
      assert.equal(r.status, 400, query);
      assert.equal(r.body.error.code, want, query);
      assert.match(r.body.error.message, /top_k/, query);
    }
  }
});

Deno.test("threshold drops low scores; out of [0, 1] is 400", async () => {
  const { app } = makeApp();
  const body = await bytesOf("red");
  const all = (await call(app, "/v1/classify?top_k=0", { method: "POST", body })).body.predictions;
  const cut = all[1].score;
  const r = await call(app, `/v1/classify?top_k=0&threshold=${cut}`, { method: "POST", body });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.predictions, all.filter((p) => p.score >= cut));
  assert.equal(r.body.predictions.length, 2);
  for (const bad of ["1.5", "-0.1", "x"]) {
    const e = await call(app, `/v1/classify?threshold=${bad}`, { method: "POST", body });
    assert.equal(e.status, 400, bad);
    assert.equal(e.body.error.code, "invalid_parameter");
  }
});

Deno.test("every error code of /v1/classify, as JSON with a stable code", async () => {
  const { app } = makeApp();
  const red = await bytesOf("red");
  const big = new Uint8Array(LIMITS.maxBodyBytes + 1);
  big.set(red);
  const chunked = () =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(LIMITS.maxBodyBytes / 4));
        c.close();
      },
    });
  const table: [string, RequestInit, number, string][] = [
    ["empty body", { body: new Uint8Array() }, 400, "missing_image"],
    ["no body", {}, 400, "missing_image"],
    ["text", { body: await bytesOf("text") }, 415, "unsupported_format"],
    [
      "svg",
      { body: await bytesOf("page"), headers: { "Content-Type": "image/svg+xml" } },
      415,
      "unsupported_format",
    ],
    [
      "json",
      { body: '{"image": "x"}', headers: { "Content-Type": "application/json" } },
      415,
      "unsupported_format",
    ],
    ["truncated png", { body: await bytesOf("truncated") }, 422, "corrupt_image"],
    ["65535x65535 header", { body: await bytesOf("bomb") }, 413, "too_many_pixels"],
    ["body over the limit", { body: big }, 413, "too_large"],
    ["chunked body over the limit", { body: chunked() }, 413, "too_large"],
    ["multipart without image", { body: form(["file", red, "a.png"]) }, 400, "missing_image"],
    ["multipart image as text", { body: form(["image", "not a file"]) }, 400, "invalid_parameter"],
    [
      "two images on the single route",
      { body: form(["image", red], ["image", red]) },
      400,
      "invalid_parameter",
    ],
    [
      // a well-formed upload cut off before its closing delimiter (a dropped connection)
      "multipart cut off before the closing delimiter",
      {
        body: '--zzz\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n' +
          "Content-Type: image/png\r\n\r\n\x89PNG\r\n",
        headers: { "Content-Type": "multipart/form-data; boundary=zzz" },
      },
      400,
      "invalid_multipart",
    ],
    [
      "multipart without a boundary parameter",
      { body: "--zzz\r\n--zzz--\r\n", headers: { "Content-Type": "multipart/form-data" } },
      400,
      "invalid_multipart",
    ],
    [
      "malformed multipart",
      {
        body: "--nope\r\nbroken",
        headers: { "Content-Type": "multipart/form-data; boundary=zzz" },
      },
      400,
      "invalid_multipart",
    ],
  ];
  for (const [name, init, status, code] of table) {
    const r = await call(app, "/v1/classify", { method: "POST", ...init });
    assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, code, name);
    assert.equal(typeof r.body.error.message, "string");
    assert.ok(r.res.headers.get("x-request-id"), name);
  }
});

Deno.test("unknown routes and methods are 404 JSON", async () => {
  const { app } = makeApp();
  for (
    const [path, method] of [["/nope", "GET"], ["/v1/classify", "GET"], ["/v1/model", "DELETE"]]
  ) {
    const r = await call(app, path, { method });
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.equal(r.body.error.code, "not_found");
  }
});

Deno.test("POST /v1/classify/batch answers per file, in order; a bad file fails only its slot", async () => {
  const { app } = makeApp();
  const r = await call(app, "/v1/classify/batch?top_k=2", {
    method: "POST",
    body: form(
      ["image", await bytesOf("red"), "red.png"],
      ["image", await bytesOf("text"), "notes.txt"],
      ["image", await bytesOf("blue"), "blue.png"],
      ["image", await bytesOf("bomb"), "bomb.png"],
    ),
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const results = r.body.results as Json[];
  assert.deepEqual(results.map((x) => x.filename), [
    "red.png",
    "notes.txt",
    "blue.png",
    "bomb.png",
  ]);
  assert.equal(results[0].predictions[0].label, "red");
  assert.equal(results[0].predictions.length, 2);
  assert.equal(results[1].error.code, "unsupported_format");
  assert.equal(results[2].predictions[0].label, "blue");
  assert.equal(results[3].error.code, "too_many_pixels");
  // Each slot equals the single-image answer.
  const single = await call(app, "/v1/classify?top_k=2", {
    method: "POST",
    body: await bytesOf("blue"),
  });
  assert.deepEqual(results[2].predictions, single.body.predictions);
});

Deno.test("POST /v1/classify/batch refuses whole requests: parts cap, not multipart, no images, overload", async () => {
  const { app } = makeApp();
  const red = await bytesOf("red");
  const five = form(
    ...Array.from(
      { length: 5 },
      (_, i) => ["image", red, `${i}.png`] as [string, Uint8Array, string],
    ),
  );
  const cases: [string, RequestInit, number, string][] = [
    ["5 parts over a cap of 4", { body: five }, 400, "too_many_files"],
    ["raw body", { body: red }, 400, "invalid_multipart"],
    ["no image field", { body: form(["other", "x"]) }, 400, "missing_image"],
  ];
  for (const [name, init, status, code] of cases) {
    const r = await call(app, "/v1/classify/batch", { method: "POST", ...init });
    assert.equal(r.status, status, name);
    assert.equal(r.body.error.code, code, name);
  }
  // A queue that holds 1 image cannot admit a 2-image batch: 503 with Retry-After.
  const small = await loadServedModel(await Deno.readFile(tiny.onnxPath), {
    name: "tiny",
    engine: "web",
    threads: 1,
    maxBatch: 1,
    batchWaitMs: 0,
    queueLimit: 1,
  });
  try {
    const { app: busy } = makeApp({ model: () => small });
    const r = await call(busy, "/v1/classify/batch", {
      method: "POST",
      body: form(["image", red], ["image", red]),
    });
    assert.equal(r.status, 503);
    assert.equal(r.body.error.code, "overloaded");
    assert.equal(r.res.headers.get("retry-after"), "1");
  } finally {
    await small.release();
  }
});

Deno.test("API_KEY: /v1/* needs the bearer key (401 otherwise); health and pages stay open", async () => {
  const { app } = makeApp({ apiKey: "s3cret-key" });
  const body = await bytesOf("red");
  const table: [Record<string, string>, number][] = [
    [{}, 401],
    [{ Authorization: "Bearer wrong" }, 401],
    [{ Authorization: "Bearer s3cret-key-and-more" }, 401],
    [{ Authorization: "Basic s3cret-key" }, 401],
    [{ Authorization: "s3cret-key" }, 401],
    [{ Authorization: "Bearer s3cret-key" }, 200],
    [{ Authorization: "bearer s3cret-key" }, 200],
  ];
  for (const [headers, status] of table) {
    const r = await call(app, "/v1/classify", { method: "POST", body, headers });
    assert.equal(r.status, status, JSON.stringify(headers));
    if (status === 401) {
      assert.equal(r.body.error.code, "unauthorized");
      assert.match(r.res.headers.get("www-authenticate") ?? "", /^Bearer/);
    }
  }
  assert.equal((await call(app, "/v1/model")).status, 401);
  for (const path of ["/healthz", "/readyz", "/", "/docs", "/openapi.json"]) {
    assert.equal((await call(app, path)).status, 200, path);
  }
  const spec = (await call(app, "/openapi.json")).body as unknown as { security: unknown[] };
  assert.deepEqual(spec.security, [{ bearer: [] }]);
});

Deno.test("CORS: only listed origins get Access-Control-Allow-Origin; none without CORS_ORIGINS", async () => {
  const { app } = makeApp({ corsOrigins: ["https://a.example"], apiKey: "k" });
  const ok = await call(app, "/healthz", { headers: { Origin: "https://a.example" } });
  assert.equal(ok.res.headers.get("access-control-allow-origin"), "https://a.example");
  assert.match(ok.res.headers.get("access-control-expose-headers") ?? "", /X-Request-Id/i);
  const evil = await call(app, "/healthz", { headers: { Origin: "https://evil.example" } });
  assert.equal(evil.res.headers.get("access-control-allow-origin"), null);
  const preflight = await app.request("/v1/classify", {
    method: "OPTIONS",
    headers: {
      Origin: "https://a.example",
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "authorization,content-type",
    },
  });
  assert.equal(preflight.status, 204, "preflight passes before auth");
  assert.equal(preflight.headers.get("access-control-allow-origin"), "https://a.example");
  assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
  assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /Authorization/i);
  const denied = await call(app, "/v1/model", { headers: { Origin: "https://a.example" } });
  assert.equal(denied.status, 401);
  assert.equal(
    denied.res.headers.get("access-control-allow-origin"),
    "https://a.example",
    "errors carry CORS too",
  );

  const { app: closed } = makeApp();
  const none = await call(closed, "/healthz", { headers: { Origin: "https://a.example" } });
  assert.equal(none.res.headers.get("access-control-allow-origin"), null);
  const { app: any } = makeApp({ corsOrigins: ["*"] });
  const star = await call(any, "/healthz", { headers: { Origin: "https://b.example" } });
  assert.equal(star.res.headers.get("access-control-allow-origin"), "*");
});

Deno.test("GET /v1/model describes labels, preprocessing, input shape, metrics and engine", async () => {
  const { app } = makeApp();
  const r = await call(app, "/v1/model");
  assert.equal(r.status, 200);
  const b = r.body as unknown as Record<string, unknown>;
  assert.deepEqual(b.labels, LABELS);
  assert.deepEqual(b.input, { name: "pixel_values", shape: [-1, 3, 16, 16] });
  assert.equal(b.engine, "web");
  assert.equal(b.arch, "tiny_color_net");
  assert.equal(b.temperature, 1.5);
  assert.deepEqual(b.metrics, { valTop1: 1 });
  assert.equal(b.sha256, model.sha256);
  assert.deepEqual(b.preprocess, model.meta.preprocess);
});

Deno.test("GET /openapi.json documents every API route; /docs and / are self-contained pages", async () => {
  const { app } = makeApp();
  const spec = (await call(app, "/openapi.json")).body as unknown as {
    openapi: string;
    paths: Record<
      string,
      Record<string, { responses: Record<string, unknown>; parameters?: { name: string }[] }>
    >;
    components: { schemas: Record<string, unknown> };
  };
  assert.equal(spec.openapi, "3.0.3");
  assert.deepEqual(Object.keys(spec.paths).sort(), [
    "/healthz",
    "/readyz",
    "/v1/classify",
    "/v1/classify/batch",
    "/v1/model",
  ]);
  const classify = spec.paths["/v1/classify"].post;
  assert.deepEqual(Object.keys(classify.responses).sort(), [
    "200",
    "400",
    "401",
    "408",
    "413",
    "415",
    "422",
    "503",
  ]);
  assert.deepEqual(classify.parameters?.map((p) => p.name), ["top_k", "threshold"]);
  for (const s of ["Classification", "Prediction", "Error", "ModelInfo", "BatchClassification"]) {
    assert.ok(spec.components.schemas[s], s);
  }
  for (const path of ["/", "/docs"]) {
    const page = await call(app, path);
    assert.equal(page.status, 200);
    assert.match(page.res.headers.get("content-type") ?? "", /^text\/html/);
    const html = page.body as unknown as string;
    assert.doesNotMatch(
      html,
      /<script[^>]+src=|<link[^>]+href="http/i,
      `${path} loads nothing external`,
    );
  }
});

Deno.test("one structured log record per request, with its request id, status and error code", async () => {
  const { app, logs } = makeApp();
  const ok = await app.request("/healthz");
  const bad = await app.request("/v1/classify", { method: "POST", body: "text" });
  assert.equal(logs.length, 2);
  assert.equal(logs[0].request_id, ok.headers.get("x-request-id"));
  assert.equal(logs[0].status, 200);
  assert.equal(logs[0].path, "/healthz");
  assert.equal(logs[0].error_code, undefined);
  assert.equal(logs[1].request_id, bad.headers.get("x-request-id"));
  assert.equal(logs[1].status, 415);
  assert.equal(logs[1].error_code, "unsupported_format");
  assert.equal(logs[1].level, "warn");
  for (const l of logs) assert.equal(typeof l.ms, "number");
});

Deno.test("cleanup", async () => {
  await model.release();
  await Deno.remove(dir, { recursive: true });
});
