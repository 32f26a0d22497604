import assert from "node:assert/strict";
import { tf } from "../backend.ts";
import {
  assertClose,
  type ConvCase,
  randomValues,
  runOn,
  type Side,
  sizeOf,
  useSide,
} from "./backend_pair_test_support.ts";

// EfficientNet-B0's shapes in small, plus the edges of the C loops: channels that are not a
// multiple of 4 (the scalar tail), more than one 256-position summation block, odd sizes with
// stride 2 (TF "same" pads bottom/right), and a multiplier of 2 (falls back to the old kernel).
const cases: ConvCase[] = [
  { name: "3x3 s1 same, C 8", x: [2, 9, 9, 8], filter: [3, 3, 8, 1], strides: 1, pad: "same" },
  { name: "3x3 s1 same, C 6", x: [2, 7, 8, 6], filter: [3, 3, 6, 1], strides: 1, pad: "same" },
  { name: "5x5 s2 same, C 5", x: [2, 11, 9, 5], filter: [5, 5, 5, 1], strides: 2, pad: "same" },
  { name: "3x3 s2 same even", x: [3, 8, 8, 12], filter: [3, 3, 12, 1], strides: 2, pad: "same" },
  { name: "3x3 s2 valid odd", x: [2, 9, 7, 4], filter: [3, 3, 4, 1], strides: 2, pad: "valid" },
  {
    name: "3x3 explicit, strides 2x1",
    x: [1, 8, 9, 7],
    filter: [3, 3, 7, 1],
    strides: [2, 1],
    pad: [[0, 0], [1, 2], [2, 0], [0, 0]],
  },
  // 4 x 16 x 16 = 1024 output positions: four DW_BLOCK partial sums
  {
    name: "3x3 s1 same, 1024 positions",
    x: [4, 16, 16, 9],
    filter: [3, 3, 9, 1],
    strides: 1,
    pad: "same",
  },
  {
    name: "multiplier 2 (fallback)",
    x: [2, 6, 6, 3],
    filter: [3, 3, 3, 2],
    strides: 1,
    pad: "same",
  },
];

/** y, dx and dfilter of sum(depthwiseConv2d(x, f) * dy) on one side. */
function gradients(side: Side, c: ConvCase): Promise<Float32Array[]> {
  const yShape = tf.backend_util.computeConv2DInfo(
    c.x,
    c.filter,
    c.strides,
    1,
    c.pad,
    undefined,
    true,
  ).outShape;
  const x = randomValues(sizeOf(c.x), 11);
  const f = randomValues(sizeOf(c.filter), 12);
  const dy = randomValues(sizeOf(yShape), 13);
  return runOn(side, () => {
    const [xt, ft, dyT] = [tf.tensor4d(x, c.x), tf.tensor4d(f, c.filter), tf.tensor(dy, yShape)];
    const conv = (xv: tf.Tensor, fv: tf.Tensor) =>
      tf.depthwiseConv2d(xv as tf.Tensor4D, fv as tf.Tensor4D, c.strides, c.pad);
    const g = tf.grads((xv: tf.Tensor, fv: tf.Tensor) => tf.sum(tf.mul(conv(xv, fv), dyT)));
    return [conv(xt, ft), ...g([xt, ft])];
  });
}

for (const c of cases) {
  Deno.test(`depthwise conv gradients (wasm SIMD) match the cpu backend: ${c.name}`, async () => {
    const want = await gradients("cpu", c);
    const got = await gradients("simd", c);
    ["depthwiseConv2d", "dx", "dfilter"].forEach((name, i) => assertClose(got[i], want[i], name));
  });
}

Deno.test("depthwise SIMD gradient kernels are the registered wasm kernels", async () => {
  await useSide("simd");
  for (
    const name of [tf.DepthwiseConv2dNativeBackpropFilter, tf.DepthwiseConv2dNativeBackpropInput]
  ) {
    const config = tf.getKernel(name, "wasm");
    assert.ok(config !== undefined, name);
    assert.match(
      config.kernelFunc.toString(),
      /depthwise_backprop/,
      `${name} is not the SIMD kernel`,
    );
  }
});
