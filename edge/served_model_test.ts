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

const ENGINES = [["web", false], ["native", false], ["native", true]] as const;
for (const [engine, worker] of ENGINES) {
  const where = worker ? " in a worker" : "";
  Deno.test(`loadServedModel on ${engine}${where} gives torch's logits and reads the metadata`, async () => {
    const model = await load(engine, { worker });
    try {
      assert.equal(model.engine, engine);
      assert.equal(model.inWorker, worker);
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

for (const [engine, worker] of ENGINES) {
  const where = worker ? " in a worker" : "";
  Deno.test(`loadServedModel on ${engine}${where} serialises concurrent requests: no answer is mixed up`, async () => {
    for (const maxBatch of [1, 3]) {
      const model: ServedModel = await load(engine, { maxBatch, worker });
      try {
        const answers = await Promise.all(inputs.map((x) => model.infer([x])));
        answers.forEach(([l], i) =>
          assertClose(l, reference.logits[i], 1e-4, `batch ${maxBatch} image ${i}`)
        );
        // The caller's tensors are untouched (a worker engine gets copies, not their buffers).
        assert.deepEqual(inputs.map((x) => x.length), inputs.map(() => 3 * 16 * 16));
        if (maxBatch > 1) assert.ok(model.queue.runs >= 2 && model.queue.runs < inputs.length);
        else assert.equal(model.queue.runs, inputs.length);
      } finally {
        await model.release();
      }
      await assert.rejects(model.infer([inputs[0]]), /inference failed/);
    }
  });
}

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

Deno.test("loadServedModel gives a model that runs under singleThreadBelowMs one thread", async (t) => {
  // Thresholds no run can miss, so the test does not depend on the machine's speed.
  const cases = [
    { singleThreadBelowMs: Infinity, worker: false, threads: 1, logged: true },
    { singleThreadBelowMs: Infinity, worker: true, threads: 1, logged: true },
    { singleThreadBelowMs: 0, worker: false, threads: 2, logged: false },
    { singleThreadBelowMs: 1e-9, worker: false, threads: 2, logged: false },
  ];
  for (const c of cases) {
    await t.step(`below ${c.singleThreadBelowMs} ms, worker ${c.worker}`, async () => {
      const records: Record<string, unknown>[] = [];
      const model = await load("native", {
        threads: 2,
        worker: c.worker,
        singleThreadBelowMs: c.singleThreadBelowMs,
        log: (r) => records.push(r),
      });
      try {
        assert.equal(model.threads, c.threads);
        assert.equal(model.inWorker, c.worker);
        const reduced = records.find((r) => r.msg === "engine threads reduced to 1");
        assert.equal(reduced !== undefined, c.logged);
        const [l] = await model.infer([inputs[0]]);
        assertClose(l, reference.logits[0], 1e-4, "image 0");
      } finally {
        await model.release();
      }
    });
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
      // The class count is only known after the warm-up run, which a worker engine does there.
      const worker = name === "labels != outputs";
      await assert.rejects(
        loadServedModel(broken, {
          name: "bad",
          engine: worker ? "native" : "web",
          threads: 1,
          maxBatch: 1,
          batchWaitMs: 0,
          queueLimit: 4,
          worker,
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
