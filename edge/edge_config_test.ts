import assert from "node:assert/strict";
import { EDGE_DEFAULTS, parseEdgeConfig } from "./edge_config.ts";

const SHA = "a".repeat(64);

Deno.test("parseEdgeConfig applies the documented defaults", () => {
  const c = parseEdgeConfig({ MODEL_PATH: "m.onnx" }, 8);
  assert.deepEqual(c, {
    model: { kind: "path", path: "m.onnx" },
    port: 8000,
    hostname: "0.0.0.0",
    engine: "auto",
    threads: EDGE_DEFAULTS.maxThreads,
    maxBodyBytes: 10 * 1024 * 1024,
    maxPixels: 25_000_000,
    apiKey: undefined,
    corsOrigins: [],
    maxBatch: 1,
    batchWaitMs: 0,
    queueLimit: 64,
    batchMaxFiles: 16,
    requestTimeoutMs: 30_000,
  });
  assert.equal(parseEdgeConfig({ MODEL_PATH: "m.onnx" }, 2).threads, 2);
});

Deno.test("parseEdgeConfig reads every variable", () => {
  const c = parseEdgeConfig({
    MODEL_URL: "https://example.com/models/wafer.onnx",
    MODEL_SHA256: SHA.toUpperCase(),
    PORT: "0",
    LISTEN_HOST: "127.0.0.1",
    EDGE_ENGINE: "web",
    EDGE_THREADS: "3",
    MAX_BODY_BYTES: "1000",
    MAX_PIXELS: "4096",
    API_KEY: "s3cret",
    CORS_ORIGINS: "https://a.example, http://localhost:5173",
    MAX_BATCH: "8",
    BATCH_WAIT_MS: "2",
    QUEUE_LIMIT: "100",
    BATCH_MAX_FILES: "4",
    REQUEST_TIMEOUT_MS: "0",
  });
  assert.deepEqual(c.model, {
    kind: "url",
    url: "https://example.com/models/wafer.onnx",
    sha256: SHA,
  });
  assert.equal(c.port, 0);
  assert.equal(c.hostname, "127.0.0.1");
  assert.equal(c.engine, "web");
  assert.equal(c.threads, 3);
  assert.equal(c.maxBodyBytes, 1000);
  assert.equal(c.maxPixels, 4096);
  assert.equal(c.apiKey, "s3cret");
  assert.deepEqual(c.corsOrigins, ["https://a.example", "http://localhost:5173"]);
  assert.equal(c.maxBatch, 8);
  assert.equal(c.batchWaitMs, 2);
  assert.equal(c.queueLimit, 100);
  assert.equal(c.batchMaxFiles, 4);
  assert.equal(c.requestTimeoutMs, 0, "0 turns the body deadline off");
});

Deno.test("parseEdgeConfig names the variable at fault", () => {
  const table: [Record<string, string>, RegExp][] = [
    [{}, /^MODEL_PATH: required/],
    [{ MODEL_PATH: "a", MODEL_URL: "https://x/y" }, /^MODEL_PATH and MODEL_URL/],
    [{ MODEL_URL: "http://example.com/m.onnx", MODEL_SHA256: SHA }, /^MODEL_URL: must be an https/],
    [{ MODEL_URL: "not a url", MODEL_SHA256: SHA }, /^MODEL_URL: not a URL/],
    [{ MODEL_URL: "https://example.com/m.onnx" }, /^MODEL_SHA256: required/],
    [{ MODEL_URL: "https://example.com/m.onnx", MODEL_SHA256: "abc" }, /^MODEL_SHA256/],
    [{ MODEL_PATH: "m", PORT: "http" }, /^PORT: must be an integer/],
    [{ MODEL_PATH: "m", PORT: "70000" }, /^PORT: must be an integer in \[0, 65535\]/],
    [{ MODEL_PATH: "m", EDGE_ENGINE: "cuda" }, /^EDGE_ENGINE: must be auto, web, native or webgpu/],
    [{ MODEL_PATH: "m", MAX_BODY_BYTES: "-5" }, /^MAX_BODY_BYTES/],
    [{ MODEL_PATH: "m", MAX_PIXELS: "1.5" }, /^MAX_PIXELS/],
    [{ MODEL_PATH: "m", MAX_BATCH: "0" }, /^MAX_BATCH/],
    [{ MODEL_PATH: "m", QUEUE_LIMIT: "0" }, /^QUEUE_LIMIT/],
    [{ MODEL_PATH: "m", REQUEST_TIMEOUT_MS: "30s" }, /^REQUEST_TIMEOUT_MS: must be an integer/],
    [
      { MODEL_PATH: "m", CORS_ORIGINS: "https://a.example/" },
      /^CORS_ORIGINS: 'https:\/\/a\.example\/'/,
    ],
    [{ MODEL_PATH: "m", CORS_ORIGINS: "a.example" }, /^CORS_ORIGINS/],
    [{ MODEL_PATH: "m", CORS_ORIGINS: "*,https://a.example" }, /^CORS_ORIGINS: '\*' cannot/],
  ];
  for (const [env, message] of table) {
    assert.throws(() => parseEdgeConfig(env), (e: unknown) => {
      assert.ok(e instanceof TypeError, JSON.stringify(env));
      assert.match(e.message, message, JSON.stringify(env));
      return true;
    });
  }
});

Deno.test("parseEdgeConfig treats empty values as unset", () => {
  const c = parseEdgeConfig({ MODEL_PATH: "m.onnx", API_KEY: "", PORT: " ", CORS_ORIGINS: "" });
  assert.equal(c.apiKey, undefined);
  assert.equal(c.port, 8000);
  assert.deepEqual(c.corsOrigins, []);
});
