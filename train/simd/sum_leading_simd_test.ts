import assert from "node:assert/strict";
import { tf } from "../backend.ts";
import {
  assertClose,
  randomValues,
  runOn,
  type Side,
  sizeOf,
} from "./backend_pair_test_support.ts";
import { leadingReduction } from "./sum_leading_simd.ts";

Deno.test("leadingReduction finds the [rows, cols] view of leading-axes reductions", () => {
  const table: [number[], number | number[] | undefined, { rows: number; cols: number } | null][] =
    [
      [[128, 32, 32, 32], [0, 1, 2], { rows: 128 * 32 * 32, cols: 32 }],
      [[4, 5, 6], 0, { rows: 4, cols: 30 }],
      [[4, 5, 6], [1, 0], { rows: 20, cols: 6 }],
      [[4, 5, 6], -3, { rows: 4, cols: 30 }],
      [[1, 5, 6], [1], { rows: 5, cols: 6 }], // size-1 axes do not break the prefix
      [[4, 1, 6], [0, 2], null], // reduces everything that is not size 1
      [[4, 5, 6], [2], null], // trailing: the stock kernel needs no transpose
      [[4, 5, 6], [0, 2], null], // not a prefix
      [[4, 5, 6], undefined, null], // all axes
      [[4, 5, 6], [0, 1, 2], null],
      [[], undefined, null],
    ];
  for (const [shape, axis, want] of table) {
    assert.deepEqual(leadingReduction(shape, axis), want, `${shape} over ${axis}`);
  }
});

interface ReduceCase {
  shape: number[];
  axis: number | number[] | undefined;
  keepDims: boolean;
}

const reduceCases: ReduceCase[] = [
  { shape: [16, 8, 8, 32], axis: [0, 1, 2], keepDims: false },
  { shape: [16, 8, 8, 13], axis: [0, 1, 2], keepDims: true },
  { shape: [300, 7], axis: 0, keepDims: false },
  { shape: [6, 5, 4], axis: [0, 1], keepDims: true },
  { shape: [6, 5, 4], axis: [2], keepDims: false }, // fallback: trailing axis
  { shape: [6, 5, 4], axis: [0, 2], keepDims: false }, // fallback: not a prefix
  { shape: [6, 5, 4], axis: undefined, keepDims: false }, // fallback: everything
];

for (const op of ["sum", "mean"] as const) {
  for (const c of reduceCases) {
    Deno.test(`${op} (wasm SIMD) matches the cpu backend: ${c.shape} over ${c.axis}`, async () => {
      const x = randomValues(sizeOf(c.shape), 21);
      const run = (side: Side) =>
        runOn(side, () => {
          const y = tf[op](tf.tensor(x, c.shape), c.axis, c.keepDims);
          return [y, tf.tensor1d(y.shape)];
        });
      const [want, wantShape] = await run("cpu");
      const [got, gotShape] = await run("simd");
      assert.deepEqual(gotShape, wantShape, "output shape");
      assertClose(got, want, op);
    });
  }
}

Deno.test("sum of an int32 tensor over leading axes still works (falls back)", async () => {
  const run = (side: Side) =>
    runOn(
      side,
      () => [tf.cast(tf.sum(tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], "int32"), 0), "float32")],
    );
  const [want] = await run("cpu");
  const [got] = await run("simd");
  assert.deepEqual([...got], [...want]);
});

// BatchNorm in training mode (tf.moments + tf.batchNorm, as train/models/torch_batch_norm.ts)
// differentiates into the leading-axes Sum/Mean kernels.
Deno.test("batch-norm training gradients (wasm SIMD) match the cpu backend", async () => {
  const shape = [8, 6, 6, 12];
  const x = randomValues(sizeOf(shape), 31);
  const dy = randomValues(sizeOf(shape), 32);
  const gamma = randomValues(12, 33);
  const beta = randomValues(12, 34);
  const run = (side: Side) =>
    runOn(side, () => {
      const dyT = tf.tensor(dy, shape);
      const g = tf.grads((xt: tf.Tensor, gt: tf.Tensor, bt: tf.Tensor) => {
        const { mean, variance } = tf.moments(xt, [0, 1, 2]);
        return tf.sum(tf.mul(tf.batchNorm(xt, mean, variance, bt, gt, 1e-5), dyT));
      });
      return g([tf.tensor(x, shape), tf.tensor(gamma), tf.tensor(beta)]);
    });
  const want = await run("cpu");
  const got = await run("simd");
  assertClose(got[0], want[0], "dx", 1e-4);
  assertClose(got[1], want[1], "dgamma");
  assertClose(got[2], want[2], "dbeta");
});
