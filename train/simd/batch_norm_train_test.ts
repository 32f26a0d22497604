import assert from "node:assert/strict";
import { tf } from "../backend.ts";
import {
  assertClose,
  randomValues,
  runOn,
  type Side,
  sizeOf,
} from "./backend_pair_test_support.ts";
import { batchNormTrain } from "./batch_norm_train.ts";

interface BnCase {
  shape: number[];
  /** Also put the mean and variance outputs into the loss (their gradients are then nonzero). */
  statsInLoss: boolean;
}

const cases: BnCase[] = [
  { shape: [8, 6, 6, 12], statsInLoss: false },
  { shape: [4, 5, 5, 7], statsInLoss: false }, // channels not a multiple of 4
  { shape: [130, 9], statsInLoss: true }, // rank 2, rows over one 64-row block
  { shape: [2, 3, 3, 4], statsInLoss: true },
];

/**
 * The reference: tf.moments + tf.batchNorm on the cpu backend (what TorchBatchNorm used),
 * differentiated by tfjs's own gradients.
 */
function reference(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number) {
  const { mean, variance } = tf.moments(x, [...Array(x.rank - 1).keys()]);
  return { y: tf.batchNorm(x, mean, variance, b, g, eps), mean, variance };
}

function run(side: Side, c: BnCase, fused: boolean): Promise<Float32Array[]> {
  const channels = c.shape[c.shape.length - 1];
  // An offset and scale far from 0/1 make cancellation errors in the variance visible.
  const x = randomValues(sizeOf(c.shape), 51).map((v) => 3 + 2 * v);
  const dy = randomValues(sizeOf(c.shape), 52);
  const gamma = randomValues(channels, 53);
  const beta = randomValues(channels, 54);
  const dm = randomValues(channels, 55);
  const dv = randomValues(channels, 56);
  return runOn(side, () => {
    const [dyT, dmT, dvT] = [tf.tensor(dy, c.shape), tf.tensor1d(dm), tf.tensor1d(dv)];
    const f = (xt: tf.Tensor, gt: tf.Tensor, bt: tf.Tensor) =>
      fused ? batchNormTrain(xt, gt, bt, 1e-5) : reference(xt, gt, bt, 1e-5);
    const loss = (xt: tf.Tensor, gt: tf.Tensor, bt: tf.Tensor) => {
      const { y, mean, variance } = f(xt, gt, bt);
      let l = tf.sum(tf.mul(y, dyT));
      if (c.statsInLoss) {
        l = tf.add(l, tf.add(tf.sum(tf.mul(mean, dmT)), tf.sum(tf.mul(variance, dvT))));
      }
      return l as tf.Scalar;
    };
    const inputs = [tf.tensor(x, c.shape), tf.tensor1d(gamma), tf.tensor1d(beta)];
    const { y, mean, variance } = f(inputs[0], inputs[1], inputs[2]);
    return [y, mean, variance, ...tf.grads(loss)(inputs)];
  });
}

const names = ["y", "mean", "variance", "dx", "dgamma", "dbeta"];

for (const c of cases) {
  const label = `${c.shape}${c.statsInLoss ? ", stats in the loss" : ""}`;
  Deno.test(`batchNormTrain (wasm SIMD) matches moments + batchNorm on cpu: ${label}`, async () => {
    const want = await run("cpu", c, false);
    const got = await run("simd", c, true);
    names.forEach((name, i) => assertClose(got[i], want[i], name, 2e-5));
  });
  Deno.test(`batchNormTrain (composite, cpu) matches moments + batchNorm on cpu: ${label}`, async () => {
    const want = await run("cpu", c, false);
    const got = await run("cpu", c, true);
    names.forEach((name, i) => assertClose(got[i], want[i], name, 2e-5));
  });
}

Deno.test("batchNormTrain rejects gamma/beta that do not match the channels", async () => {
  await runOn("cpu", () => {
    assert.throws(
      () => batchNormTrain(tf.zeros([2, 3]), tf.ones([4]), tf.zeros([3]), 1e-5),
      RangeError,
    );
    assert.throws(
      () => batchNormTrain(tf.zeros([3]), tf.ones([3]), tf.zeros([3]), 1e-5),
      RangeError,
    );
    return [];
  });
});
