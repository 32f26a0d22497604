import assert from "node:assert/strict";
import { Rng } from "../shared/rng.ts";
import type { EngineChoice } from "./edge_config.ts";
import { loadServedModel, type ServedModel } from "./served_model.ts";
import { makeTinyModel, type TinyModel, torchForTensor } from "./tiny_model_fixture.ts";

const dir = await Deno.makeTempDir({ prefix: "edge_served_model_" });
const tiny: TinyModel = await makeTinyModel(dir, "tiny", { size: 16, temperature: 2 });
const bytes = await Deno.readFile(tiny.onnxPath);

const load = (engine: EngineChoice, extra: Partial<Parameters<typeof loadServedModel>[1]> = {}) =>
  loadServedModel(bytes, {
    name: "tiny",
    engine,
    threads: 1,
    maxBatch: 4,
    batchWaitMs: 0,
    queueLimit: 64,
    ...extra,
  });

function randomInputs(n: number, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return Array.from(
    { length: n },
    () => Float32Array.from({ length: 3 * 16 * 16 }, () => rng.uniform(-1, 1)),
  );
}

function concat(xs: Float32Array[]): Float32Array {
  const out = new Float32Array(xs.reduce((a, x) => a + x.length, 0));
  let at = 0;
  for (const x of xs) {
    out.set(x, at);
    at += x.length;
  }
  return out;
}

const inputs = randomInputs(6, 1);
const reference = await torchForTensor(tiny, concat(inputs), inputs.length);

function assertClose(got: ArrayLike<number>, want: number[], tol: number, what: string) {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= tol, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

for (const engine of ["web", "native"] as const) {
  Deno.test(`loadServedModel on ${engine} gives torch's logits and reads the metadata`, async () => {
    const model = await load(engine);
    try {
      assert.equal(model.engine, engine);
      assert.deepEqual(model.meta.labels, ["red", "green", "blue", "dark", "light"]);
      assert.equal(model.meta.temperature, 2);
      assert.deepEqual(model.inputShape, [-1, 3, 16, 16]);
      assert.equal(model.maxBatch, 4);
      assert.match(model.sha256, /^[0-9a-f]{64}$/);
      const logits = await model.infer(inputs);
      logits.forEach((l, i) => assertClose(l, reference.logits[i], 1e-4, `${engine} image ${i}`));
    } finally {
      await model.release();
    }
  });
}

Deno.test("loadServedModel serialises concurrent requests: no answer is mixed up", async () => {
  const model: ServedModel = await load("web", { maxBatch: 3 });
  try {
    const answers = await Promise.all(inputs.map((x) => model.infer([x])));
    answers.forEach(([l], i) => assertClose(l, reference.logits[i], 1e-4, `image ${i}`));
    assert.ok(model.queue.runs >= 2 && model.queue.runs <= 1 + inputs.length);
  } finally {
    await model.release();
  }
});

Deno.test("loadServedModel with auto picks native here and logs the choice", async () => {
  const records: Record<string, unknown>[] = [];
  const model = await load("auto", { log: (r) => records.push(r) });
  try {
    assert.equal(model.engine, "native");
    assert.deepEqual(records.map((r) => [r.msg, r.engine, r.requested]), [
      ["engine selected", "native", "auto"],
    ]);
  } finally {
    await model.release();
  }
});

Deno.test("loadServedModel on webgpu either matches torch or fails with a clear error", async () => {
  let model: ServedModel | undefined;
  try {
    model = await load("webgpu");
  } catch (e) {
    assert.match((e as Error).message, /^engine 'webgpu' failed to start: /);
    return;
  }
  try {
    assert.equal(model.engine, "webgpu");
    const [l] = await model.infer([inputs[0]]);
    assertClose(l, reference.logits[0], 1e-3, "webgpu image 0");
  } finally {
    await model.release();
  }
});

Deno.test("loadServedModel refuses broken models with a message naming the problem", async (t) => {
  const cases: [string, Parameters<typeof makeTinyModel>[2] | Uint8Array, RegExp][] = [
    [
      "no labels",
      { omit: ["edgeclass.labels"] },
      /^bad: metadata key 'edgeclass\.labels' is missing/,
    ],
    [
      "no preprocess",
      { omit: ["edgeclass.preprocess"] },
      /^bad: metadata key 'edgeclass\.preprocess' is missing/,
    ],
    [
      "labels != outputs",
      { extraOutputs: 2 },
      /^bad: output has 7 classes but metadata lists 5 labels/,
    ],
    [
      "not onnx",
      new TextEncoder().encode("<html>not a model</html>"),
      /^bad: not a valid ONNX file/,
    ],
  ];
  for (const [name, spec, message] of cases) {
    await t.step(name, async () => {
      const broken = spec instanceof Uint8Array
        ? spec
        : await Deno.readFile((await makeTinyModel(dir, "bad", spec)).onnxPath);
      await assert.rejects(
        loadServedModel(broken, {
          name: "bad",
          engine: "web",
          threads: 1,
          maxBatch: 1,
          batchWaitMs: 0,
          queueLimit: 4,
        }),
        (e: Error) => {
          assert.ok(e instanceof TypeError, e.message);
          assert.match(e.message, message);
          return true;
        },
      );
    });
  }
});

Deno.test("cleanup", async () => {
  await Deno.remove(dir, { recursive: true });
});
