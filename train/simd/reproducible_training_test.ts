/**
 * Training with the SIMD kernels is bit-for-bit reproducible: the same steps give the same
 * weights run after run, in place on one thread and in thread pools of 2 and 3 (whichever
 * thread takes whichever chunk). Exact `--resume` relies on it, and it makes a run's result
 * independent of the machine's core count.
 */
import assert from "node:assert/strict";
import { tf } from "../backend.ts";
import { AdamW } from "../adamw.ts";
import { crossEntropy } from "../loss.ts";
import { buildModel } from "../models/build_model.ts";
import { randomValues, useSide } from "./backend_pair_test_support.ts";
import { dwSlotPositions, simdTuning } from "./conv2d_geometry.ts";
import { setSimdPool, SimdPool } from "./simd_pool.ts";

const SIZE = 32;
const BATCH = 8;
const CLASSES = 4;
const STEPS = 3;

/** Weights of a fresh SimpleCNN after STEPS AdamW steps on fixed data. */
function trainedWeights(): Float32Array[] {
  const model = buildModel({ arch: "simple_cnn", numClasses: CLASSES, inputSize: SIZE, seed: 4 });
  for (const layer of model.layers) {
    if (layer.getClassName() === "Dropout") (layer as unknown as { rate: number }).rate = 0;
  }
  const optimizer = new AdamW({ lr: 3e-3, weightDecay: 1e-4 });
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const x = tf.tensor4d(randomValues(BATCH * SIZE * SIZE * 3, 21), [BATCH, SIZE, SIZE, 3]);
  const y = tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % CLASSES), "int32");
  for (let s = 0; s < STEPS; s++) {
    const { value, grads } = tf.variableGrads(
      () => crossEntropy(model.apply(x, { training: true }) as tf.Tensor2D, y),
      variables,
    );
    optimizer.applyGradients(grads);
    tf.dispose([value, ...Object.values(grads)]);
  }
  const out = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return out;
}

Deno.test("SIMD training steps give bit-identical weights in place and on 2 or 3 threads", async () => {
  await useSide("simd");
  // The first conv's filter gradient (8 x 32 x 32 = 8192 positions) is summed in slots here,
  // so the test covers the slotted reduction, not only the single running sum.
  assert.ok(dwSlotPositions([BATCH, SIZE, SIZE, 3, SIZE, SIZE, 32, 3, 3, 1, 1, 1, 1]) > 0);
  const defaultMin = simdTuning.poolMinMacs;
  const runs: [string, Float32Array[]][] = [];
  try {
    for (const threads of [1, 2, 3, 2]) {
      const pool = threads > 1 ? new SimdPool(threads) : null;
      setSimdPool(pool);
      simdTuning.poolMinMacs = pool === null ? Infinity : 0;
      runs.push([`${threads} thread(s)`, trainedWeights()]);
    }
  } finally {
    setSimdPool(undefined);
    simdTuning.poolMinMacs = defaultMin;
  }
  const [, want] = runs[0];
  for (const [label, got] of runs.slice(1)) {
    assert.equal(got.length, want.length);
    got.forEach((w, i) => {
      const at = w.findIndex((v, j) => !Object.is(v, want[i][j]));
      assert.equal(at, -1, `weight ${i} element ${at} on ${label} differs from one thread`);
    });
  }
  // and the steps did move the weights (a no-op would pass the comparison trivially)
  const fresh = buildModel({ arch: "simple_cnn", numClasses: CLASSES, inputSize: SIZE, seed: 4 });
  const initial = fresh.getWeights()[0].dataSync();
  fresh.dispose();
  assert.ok(want[0].some((v, j) => v !== initial[j]), "training changed the first conv kernel");
});
