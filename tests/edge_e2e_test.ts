/**
 * End to end: `edge/main.ts` as a real process on 127.0.0.1 under the permissions Deno Deploy
 * grants (`--allow-net --allow-env --allow-read=<model>`: no write, no ffi), web engine.
 */
import assert from "node:assert/strict";
import { startServer } from "../edge/server_process_fixture.ts";
import { makeTestImages, REAL_PHOTOS } from "../edge/test_images_fixture.ts";
import { makeTinyModel, torchProbsForImages } from "../edge/tiny_model_fixture.ts";
import { makeTestTls } from "../edge/tls_fixture.ts";

const dir = await Deno.makeTempDir({ prefix: "edge_e2e_" });
const tiny = await makeTinyModel(dir, "wafer_tiny", { size: 32, temperature: 1.5, seed: 7 });
const images = await makeTestImages(dir);

function form(...files: [string, string][]): Promise<FormData> {
  return (async () => {
    const f = new FormData();
    for (const [name, path] of files) {
      f.append("image", new File([await Deno.readFile(path)], name));
    }
    return f;
  })();
}

Deno.test("edge/main.ts serves classify under deploy permissions, matching torch on real photos", async () => {
  const server = await startServer({
    env: { MODEL_PATH: tiny.onnxPath, EDGE_ENGINE: "web", MAX_BATCH: "4", BATCH_WAIT_MS: "1" },
    allowRead: [tiny.onnxPath],
  });
  try {
    assert.ok(server.url, `server did not start:\n${server.stderr()}`);
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200, server.stderr());
    assert.deepEqual(await ready.json(), { status: "ready", model: "wafer_tiny", engine: "web" });

    // Real photos: probabilities equal Pillow + torch within 1e-4.
    const want = await torchProbsForImages(tiny, REAL_PHOTOS);
    for (const [i, path] of REAL_PHOTOS.entries()) {
      const res = await fetch(`${server.url}/v1/classify?top_k=0`, {
        method: "POST",
        body: await Deno.readFile(path),
        headers: { "Content-Type": "image/png" },
      });
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
      const body = await res.json();
      assert.equal(body.model, "wafer_tiny");
      for (const p of body.predictions) {
        assert.ok(Math.abs(p.score - want[i][p.index]) <= 1e-4, `${path} ${p.label}`);
      }
    }

    // Concurrent requests through the micro-batching queue keep their own answers.
    const colours = ["red", "blue", "green", "dark"];
    const answers = await Promise.all(
      colours.map(async (c) => {
        const res = await fetch(`${server.url}/v1/classify?top_k=1`, {
          method: "POST",
          body: await Deno.readFile(images[c]),
        });
        return (await res.json()).predictions[0].label;
      }),
    );
    assert.deepEqual(answers, colours);

    const batch = await fetch(`${server.url}/v1/classify/batch`, {
      method: "POST",
      body: await form(["red.png", images.red], ["bad.txt", images.text], [
        "blue.png",
        images.blue,
      ]),
    });
    assert.equal(batch.status, 200);
    const results = (await batch.json()).results;
    assert.equal(results[0].predictions[0].label, "red");
    assert.equal(results[1].error.code, "unsupported_format");
    assert.equal(results[2].predictions[0].label, "blue");

    const bad = await fetch(`${server.url}/v1/classify`, { method: "POST", body: "not an image" });
    assert.equal(bad.status, 415);
    assert.equal((await bad.json()).error.code, "unsupported_format");
    const page = await fetch(`${server.url}/`);
    assert.match(await page.text(), /<title>edgeclass demo<\/title>/);
    const model = await (await fetch(`${server.url}/v1/model`)).json();
    assert.equal(model.engine, "web");
    assert.equal(model.max_batch, 4);

    // One JSON log line per request, carrying the request id the client saw.
    const health = await fetch(`${server.url}/healthz`, { headers: { "X-Request-Id": "e2e-42" } });
    await health.body?.cancel();
    await new Promise((r) => setTimeout(r, 100));
    const line = server.logs.find((l) => l.request_id === "e2e-42");
    assert.ok(line, "request log line");
    assert.equal(line.path, "/healthz");
    assert.equal(line.status, 200);
    assert.ok(server.logs.some((l) => l.msg === "model ready" && l.engine === "web"));
  } finally {
    assert.equal(await server.stop(), 0, "SIGTERM shuts down cleanly");
  }
  assert.ok(server.logs.some((l) => l.msg === "shutting down"));
});

Deno.test("EDGE_ENGINE=auto without ffi falls back to the web engine and logs why", async () => {
  const server = await startServer({
    env: { MODEL_PATH: tiny.onnxPath, EDGE_ENGINE: "auto" },
    allowRead: [tiny.onnxPath],
  });
  try {
    assert.ok(server.url, server.stderr());
    const choice = server.logs.find((l) => l.msg === "engine selected");
    assert.ok(choice, JSON.stringify(server.logs));
    assert.equal(choice.engine, "web");
    assert.equal(choice.requested, "auto");
    assert.match(String(choice.fallback_reason), /engine 'native' failed to start/);
  } finally {
    await server.stop();
  }
});

Deno.test("MODEL_URL: fetched once over https and verified; a wrong sha256 stops startup", async () => {
  const tls = await makeTestTls(dir);
  const bytes = await Deno.readFile(tiny.onnxPath);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  const sha = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  let downloads = 0;
  const files = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: tls.certPem,
    key: tls.keyPem,
    onListen: () => {},
  }, () => {
    downloads++;
    return new Response(bytes);
  });
  const modelUrl = `https://localhost:${files.addr.port}/models/wafer_tiny.onnx`;
  try {
    const server = await startServer({
      env: { MODEL_URL: modelUrl, MODEL_SHA256: sha, EDGE_ENGINE: "web", DENO_CERT: tls.caPath },
      allowRead: [],
    });
    try {
      assert.ok(server.url, server.stderr());
      const res = await fetch(`${server.url}/v1/classify`, {
        method: "POST",
        body: await Deno.readFile(images.red),
      });
      assert.equal(res.status, 200, server.stderr());
      assert.equal((await res.json()).predictions[0].label, "red");
      assert.equal(downloads, 1);
    } finally {
      await server.stop();
    }
    const wrong = await startServer({
      env: { MODEL_URL: modelUrl, MODEL_SHA256: "0".repeat(64), DENO_CERT: tls.caPath },
      allowRead: [],
    });
    assert.equal(await wrong.exited, 1);
    assert.match(wrong.stderr(), /edgeclass edge: MODEL_URL .* sha256 is [0-9a-f]{64}, expected/);
  } finally {
    await files.shutdown();
  }
});

Deno.test("startup fails with a clear message for bad config and bad models", async (t) => {
  const noLabels = await makeTinyModel(dir, "no_labels", { omit: ["edgeclass.labels"] });
  const mismatch = await makeTinyModel(dir, "mismatch", { extraOutputs: 3 });
  const cases: [string, Record<string, string>, string[], RegExp][] = [
    ["no model configured", {}, [], /edgeclass edge: MODEL_PATH: required/],
    [
      "bad engine",
      { MODEL_PATH: tiny.onnxPath, EDGE_ENGINE: "tpu" },
      [tiny.onnxPath],
      /EDGE_ENGINE: must be/,
    ],
    [
      "missing file",
      { MODEL_PATH: `${dir}/nope.onnx` },
      [`${dir}/nope.onnx`],
      /MODEL_PATH .*nope\.onnx: /,
    ],
    ["model without labels", { MODEL_PATH: noLabels.onnxPath, EDGE_ENGINE: "web" }, [
      noLabels.onnxPath,
    ], /no_labels: metadata key 'edgeclass\.labels' is missing/],
    ["labels != outputs", { MODEL_PATH: mismatch.onnxPath, EDGE_ENGINE: "web" }, [
      mismatch.onnxPath,
    ], /mismatch: output has 8 classes but metadata lists 5 labels/],
    [
      "http MODEL_URL",
      { MODEL_URL: "http://127.0.0.1:1/m.onnx", MODEL_SHA256: "0".repeat(64) },
      [],
      /MODEL_URL: must be an https/,
    ],
  ];
  for (const [name, env, allowRead, message] of cases) {
    await t.step(name, async () => {
      const server = await startServer({ env, allowRead, waitReady: false });
      assert.equal(await server.exited, 1, name);
      assert.match(server.stderr(), message);
      assert.ok(server.logs.some((l) => l.msg === "startup failed"), name);
    });
  }
});

Deno.test("cleanup", async () => {
  await Deno.remove(dir, { recursive: true });
});
