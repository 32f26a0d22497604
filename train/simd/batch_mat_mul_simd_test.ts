import assert from "node:assert/strict";
import { tf } from "../backend.ts";
import {
  assertClose,
  randomValues,
  runOn,
  type Side,
  sizeOf,
} from "./backend_pair_test_support.ts";

interface MatMulCase {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

const cases: MatMulCase[] = [
  { a: [1, 33, 70], b: [1, 70, 19], transposeA: false, transposeB: false },
  { a: [1, 300, 17], b: [1, 300, 9], transposeA: true, transposeB: false }, // dW = x^T dy
  { a: [1, 17, 9], b: [1, 300, 9], transposeA: false, transposeB: true }, // dx = dy W^T
  { a: [1, 40, 30], b: [1, 50, 40], transposeA: true, transposeB: true },
  { a: [3, 5, 7], b: [3, 7, 6], transposeA: false, transposeB: false },
  { a: [3, 5, 7], b: [1, 7, 6], transposeA: false, transposeB: false }, // b broadcasts
  { a: [1, 7, 5], b: [4, 6, 7], transposeA: true, transposeB: true }, // a broadcasts
  { a: [2, 2, 4, 3], b: [2, 2, 3, 5], transposeA: false, transposeB: false }, // rank 4
  { a: [9, 600], b: [600, 270], transposeA: false, transposeB: false }, // rank 2, > one block
];

for (const c of cases) {
  const name = `${c.a}${c.transposeA ? "^T" : ""} x ${c.b}${c.transposeB ? "^T" : ""}`;
  Deno.test(`matMul (wasm SIMD) matches the cpu backend: ${name}`, async () => {
    const a = randomValues(sizeOf(c.a), 41);
    const b = randomValues(sizeOf(c.b), 42);
    const run = (side: Side) =>
      runOn(side, () => {
        const y = tf.matMul(tf.tensor(a, c.a), tf.tensor(b, c.b), c.transposeA, c.transposeB);
        return [y, tf.tensor1d(y.shape)];
      });
    const [want, wantShape] = await run("cpu");
    const [got, gotShape] = await run("simd");
    assert.deepEqual(gotShape, wantShape, "output shape");
    assertClose(got, want, "product");
  });
}

Deno.test("dense layer gradients (wasm SIMD) match the cpu backend", async () => {
  const x = randomValues(16 * 96, 43);
  const w = randomValues(96 * 10, 44);
  const dy = randomValues(16 * 10, 45);
  const run = (side: Side) =>
    runOn(side, () => {
      const dyT = tf.tensor2d(dy, [16, 10]);
      const g = tf.grads((xt: tf.Tensor, wt: tf.Tensor) =>
        tf.sum(tf.mul(tf.matMul(xt as tf.Tensor2D, wt as tf.Tensor2D), dyT))
      );
      return g([tf.tensor2d(x, [16, 96]), tf.tensor2d(w, [96, 10])]);
    });
  const want = await run("cpu");
  const got = await run("simd");
  assertClose(got[0], want[0], "dx");
  assertClose(got[1], want[1], "dw");
});

const fusedCases: (MatMulCase & { activation: "linear" | "relu" | "elu"; bias: boolean })[] = [
  {
    a: [1, 128, 200],
    b: [1, 200, 36],
    transposeA: false,
    transposeB: false,
    activation: "relu",
    bias: true,
  },
  {
    a: [1, 40, 9],
    b: [1, 13, 40],
    transposeA: true,
    transposeB: true,
    activation: "linear",
    bias: true,
  },
  {
    a: [2, 5, 7],
    b: [2, 7, 6],
    transposeA: false,
    transposeB: false,
    activation: "relu",
    bias: false,
  },
  {
    a: [1, 5, 7],
    b: [1, 7, 6],
    transposeA: false,
    transposeB: false,
    activation: "elu",
    bias: true,
  }, // fallback
];

for (const c of fusedCases) {
  const name = `${c.a} x ${c.b}, ${c.activation}${c.bias ? " + bias" : ""}`;
  Deno.test(`fused matMul (wasm SIMD) matches the cpu backend: ${name}`, async () => {
    const a = randomValues(sizeOf(c.a), 46);
    const b = randomValues(sizeOf(c.b), 47);
    const n = c.transposeB ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
    const bias = randomValues(n, 48);
    const run = (side: Side) =>
      runOn(side, () => [
        tf.fused.matMul({
          a: tf.tensor(a, c.a),
          b: tf.tensor(b, c.b),
          transposeA: c.transposeA,
          transposeB: c.transposeB,
          bias: c.bias ? tf.tensor1d(bias) : undefined,
          activation: c.activation,
        }),
      ]);
    const [want] = await run("cpu");
    const [got] = await run("simd");
    assertClose(got, want, "fused product");
  });
}
