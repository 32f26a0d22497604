/**
 * A whole backward pass with the SIMD kernels equals the cpu backend's: SimpleCNN in training
 * mode, ResNet-18 in inference mode (training-mode BatchNorm over tiny batches is too
 * ill-conditioned to compare, see train/models/model_gradients_test.ts), both with the
 * convolutions in place and in the thread pool.
 */
import assert from "node:assert/strict";
import { tf } from "../backend.ts";
import { buildModel } from "../models/build_model.ts";
import { randomValues, type Side, useSide } from "./backend_pair_test_support.ts";
import { simdTuning } from "./conv2d_geometry.ts";
import { setSimdPool, SimdPool } from "./simd_pool.ts";

const SIZE = 32;
const NUM_CLASSES = 4;

function gradients(model: tf.LayersModel, training: boolean): Map<string, Float32Array> {
  const x = tf.tensor4d(randomValues(2 * SIZE * SIZE * 3, 71), [2, SIZE, SIZE, 3]);
  const r = tf.tensor2d(randomValues(2 * NUM_CLASSES, 72), [2, NUM_CLASSES]);
  const { value, grads } = tf.variableGrads(() =>
    tf.sum(tf.mul(model.apply(x, { training }) as tf.Tensor, r)) as tf.Scalar
  );
  const out = new Map<string, Float32Array>();
  for (const [name, g] of Object.entries(grads)) out.set(name, g.dataSync() as Float32Array);
  tf.dispose([x, r, value, ...Object.values(grads)]);
  return out;
}

async function on(side: Side, model: tf.LayersModel, training: boolean) {
  await useSide(side);
  return gradients(model, training);
}

for (const [arch, training] of [["simple_cnn", true], ["resnet18", false]] as const) {
  Deno.test(`${arch} ${training ? "training" : "inference"}-mode gradients with SIMD kernels equal cpu's`, async () => {
    await useSide("cpu");
    const model = buildModel({ arch, numClasses: NUM_CLASSES, inputSize: SIZE, seed: 9 });
    for (const layer of model.layers) {
      if (layer.getClassName() === "Dropout") (layer as unknown as { rate: number }).rate = 0;
    }
    const want = await on("cpu", model, training);
    const pool = new SimdPool(2);
    const defaultMin = simdTuning.poolMinMacs;
    try {
      for (const pooled of [false, true]) {
        setSimdPool(pooled ? pool : null);
        simdTuning.poolMinMacs = pooled ? 0 : Infinity;
        const got = await on("simd", model, training);
        assert.equal(got.size, model.trainableWeights.length);
        for (const [name, expected] of want) {
          const actual = got.get(name);
          assert.ok(actual, name);
          let scale = 0;
          let worst = 0;
          for (let i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            const d = Math.abs(actual[i] - expected[i]);
            if (!(d <= worst)) worst = d;
          }
          // Same bound as train/models/model_gradients_test.ts: summation order differs.
          assert.ok(
            worst <= 1e-3 * scale + 1e-6,
            `${name} (${pooled ? "pooled" : "in place"}): max abs diff ${worst}, scale ${scale}`,
          );
        }
      }
    } finally {
      setSimdPool(undefined);
      pool.close();
      simdTuning.poolMinMacs = defaultMin;
      model.dispose();
    }
  });
}
