import assert from "node:assert/strict";
import { edgeGoals, type EdgeJobResult } from "./edge_section.ts";
import { httpGoals, type HttpRun } from "./http_section.ts";
import { trainGoals } from "./train_section.ts";

function job(format: "jpeg" | "png", ratios: Record<string, number | null>): EdgeJobResult {
  return {
    model: "m",
    format,
    image: { path: "p", bytes: 1, width: 1, height: 1 },
    impls: {},
    ratios,
    checks: { tensorMaxAbsDiff: 0, logitsMaxAbsDiff: 0 },
  };
}

Deno.test("edgeGoals judges the worst job; JPEG decode only on JPEG jobs", () => {
  const jobs = [
    job("jpeg", {
      native_vs_pillow_ort: 1.05,
      native_vs_pillow_ort_cpu: 0.9,
      decode_vs_pillow: 1.9,
      decode_vs_pillow_cpu: 2.5,
      web_vs_native: 1.2,
    }),
    job("png", {
      native_vs_pillow_ort: 1.2,
      native_vs_pillow_ort_cpu: 1.0,
      decode_vs_pillow: 5,
      decode_vs_pillow_cpu: 5,
      web_vs_native: 3,
    }),
    job("jpeg", { native_vs_pillow_ort: null, decode_vs_pillow: 1.5, web_vs_native: null }),
  ];
  const [e2e, e2eCpu, decode, decodeCpu, web] = edgeGoals(jobs);
  assert.deepEqual([e2e.value, e2e.pass], [1.2, false]);
  assert.deepEqual([e2eCpu.value, e2eCpu.pass], [1.0, true]);
  assert.deepEqual([decode.value, decode.pass], [1.9, true]);
  assert.deepEqual([decodeCpu.value, decodeCpu.pass], [2.5, false]);
  assert.deepEqual([web.value, web.pass], [3, null]);
  const none = edgeGoals([]);
  assert.ok(none.every((g) => g.value === null && g.pass === null));
});

function run(over: Partial<HttpRun>): HttpRun {
  return {
    scenario: "s",
    model: "simple_cnn_32",
    payload: "wafer_png",
    payloadBytes: 1,
    engine: "native",
    maxBatch: 1,
    batchWaitMs: 0,
    connections: 8,
    durationS: 10,
    requests: 1,
    reqPerS: 2500,
    latencyMs: { mean: 1, p50: 1, p90: 1, p99: 1, max: 1 },
    threads: 1,
    serverCpuMsPerRequest: 0.4,
    serverCoresBusy: 1,
    non2xx: 0,
    socketErrors: { connect: 0, read: 0, write: 0, timeout: 0 },
    ...over,
  };
}

Deno.test("httpGoals reads the SimpleCNN 32 native c=8 run without batching", () => {
  const cases: [HttpRun[], (number | boolean | null)[]][] = [
    [[run({})], [2500, true, 0, true, 2500, true]],
    [[run({ reqPerS: 1999.9, serverCpuMsPerRequest: 0.8 })], [1999.9, false, 0, true, 1250, false]],
    [[run({ serverCpuMsPerRequest: null })], [2500, true, 0, true, null, null]],
    [[run({ non2xx: 2, socketErrors: { connect: 0, read: 1, write: 0, timeout: 0 } })], [
      2500,
      true,
      3,
      false,
      2500,
      true,
    ]],
    // other concurrency, engine or batching do not count
    [[run({ connections: 32 }), run({ engine: "web" }), run({ maxBatch: 8 })], [
      null,
      null,
      null,
      null,
      null,
      null,
    ]],
  ];
  for (const [runs, want] of cases) {
    const [rate, projected, errors] = httpGoals(runs);
    assert.deepEqual(
      [rate.value, rate.pass, errors.value, errors.pass, projected.value, projected.pass],
      want,
    );
  }
});

Deno.test("trainGoals reads the default path's ratio per model, against the issue's targets", () => {
  const rows = [
    { model: "simple_cnn", variant: "torch", ratio_vs_torch: 1 },
    { model: "simple_cnn", variant: "wasm", ratio_vs_torch: 0.17 },
    { model: "simple_cnn", variant: "wasm_simd", ratio_vs_torch: 0.51 },
    { model: "resnet18", variant: "wasm_simd", ratio_vs_torch: 0.29 },
    { model: "efficientnet_b0", variant: "wasm_simd", ratio_vs_torch: 0.64 },
  ];
  const [simple, resnet, effnet] = trainGoals(rows);
  assert.deepEqual([simple.value, simple.pass], [0.51, true]);
  assert.deepEqual([resnet.value, resnet.pass], [0.29, false]);
  assert.deepEqual([effnet.value, effnet.pass], [0.64, null]);
  const missing = trainGoals([{ model: "simple_cnn", variant: "wasm", ratio_vs_torch: 0.9 }]);
  assert.deepEqual(missing.map((g) => [g.value, g.pass]), [[null, null], [null, null], [
    null,
    null,
  ]]);
});
