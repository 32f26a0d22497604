import assert from "node:assert/strict";
import { tf } from "../backend.ts";
import { simdTuning } from "./conv2d_geometry.ts";
import { setSimdPool, SimdPool } from "./simd_pool.ts";
import {
  assertClose,
  type ConvCase,
  randomValues,
  runOn,
  type Side,
  sizeOf,
  useSide,
} from "./backend_pair_test_support.ts";

// Each case also exercises a C code path: channel counts that are (not) multiples of the
// 4-float panels, filter-index counts above one 128-row block, Cout above one 256-deep
// block, and output-position counts that are not multiples of any block.
const cases: ConvCase[] = [
  { name: "3x3 s1 same, Cin 3", x: [2, 9, 9, 3], filter: [3, 3, 3, 8], strides: 1, pad: "same" },
  {
    name: "3x3 s1 same, Cin 16",
    x: [3, 8, 8, 16],
    filter: [3, 3, 16, 12],
    strides: 1,
    pad: "same",
  },
  // 576 output positions: several reduction blocks for dW and row blocks for dx, both ragged.
  { name: "3x3 s1 same, P 576", x: [4, 12, 12, 8], filter: [3, 3, 8, 16], strides: 1, pad: "same" },
  { name: "3x3 s2 same even", x: [2, 8, 8, 8], filter: [3, 3, 8, 9], strides: 2, pad: "same" },
  { name: "3x3 s2 same odd", x: [2, 9, 7, 5], filter: [3, 3, 5, 6], strides: 2, pad: "same" },
  { name: "3x3 s1 valid", x: [2, 7, 7, 4], filter: [3, 3, 4, 4], strides: 1, pad: "valid" },
  { name: "1x1 s2 valid", x: [2, 8, 8, 12], filter: [1, 1, 12, 20], strides: 2, pad: "valid" },
  {
    name: "7x7 s2 explicit (ResNet stem)",
    x: [2, 16, 16, 3],
    filter: [7, 7, 3, 16],
    strides: 2,
    pad: [[0, 0], [3, 3], [3, 3], [0, 0]],
  },
  {
    name: "3x3 asymmetric explicit, strides 2x1",
    x: [1, 8, 9, 4],
    filter: [3, 2, 4, 8],
    strides: [2, 1],
    pad: [[0, 0], [1, 2], [2, 0], [0, 0]],
  },
  {
    name: "3x3 s1 same, Cin 40 (KHKWCin 360)",
    x: [1, 6, 6, 40],
    filter: [3, 3, 40, 8],
    strides: 1,
    pad: "same",
  },
  {
    name: "1x1 Cout 300 (two K blocks)",
    x: [1, 5, 5, 8],
    filter: [1, 1, 8, 300],
    strides: 1,
    pad: "valid",
  },
  { name: "3x3 Cout 260 Cin 8", x: [1, 4, 4, 8], filter: [3, 3, 8, 260], strides: 1, pad: "same" },
  { name: "5x5 larger than input", x: [2, 3, 3, 4], filter: [5, 5, 4, 4], strides: 1, pad: "same" },
  // 5115 output positions: dW summed by 2 fixed slots (dwSlotPositions), the last one ragged.
  {
    name: "3x3 s1 same, dW in slots",
    x: [5, 33, 31, 3],
    filter: [3, 3, 3, 8],
    strides: 1,
    pad: "same",
  },
];

/** Which execution path the SIMD kernels take: in place, or copied into a pool of threads. */
type Path = "in place" | "pooled" | "pooled, 3 threads" | "pooled, 4 threads";

const POOL_THREADS: Record<Path, number> = {
  "in place": 1,
  "pooled": 2,
  "pooled, 3 threads": 3,
  "pooled, 4 threads": 4,
};

async function onPath<T>(path: Path, fn: () => Promise<T>): Promise<T> {
  const threads = POOL_THREADS[path];
  const pool = threads > 1 ? new SimdPool(threads) : null;
  setSimdPool(pool);
  simdTuning.poolMinMacs = pool !== null ? 0 : Infinity;
  try {
    return await fn();
  } finally {
    setSimdPool(undefined);
    simdTuning.poolMinMacs = DEFAULT_POOL_MIN_MACS;
  }
}

const DEFAULT_POOL_MIN_MACS = simdTuning.poolMinMacs;

/** y = relu(conv2d(x, f) + b), dx, df and db of sum(y * dy), on one side. */
function forwardAndGradients(side: Side, c: ConvCase): Promise<Float32Array[]> {
  const yShape = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape;
  const x = randomValues(sizeOf(c.x), 1);
  const f = randomValues(sizeOf(c.filter), 2);
  const b = randomValues(c.filter[3], 4);
  const dy = randomValues(sizeOf(yShape), 3);
  return runOn(side, () => {
    const [xt, ft, bt, dyT] = [
      tf.tensor(x, c.x) as tf.Tensor4D,
      tf.tensor(f, c.filter) as tf.Tensor4D,
      tf.tensor1d(b),
      tf.tensor(dy, yShape),
    ];
    const plain = tf.conv2d(xt, ft, c.strides, c.pad); // Conv2D kernel
    const fused = tf.fused.conv2d({ // FusedConv2D kernel with bias + ReLU
      x: xt,
      filter: ft,
      strides: c.strides,
      pad: c.pad,
      bias: bt,
      activation: "relu",
    });
    const g = tf.grads((xv: tf.Tensor, fv: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(xv as tf.Tensor4D, fv as tf.Tensor4D, c.strides, c.pad), dyT))
    );
    return [plain, fused, ...g([xt, ft])];
  });
}

for (const path of ["in place", "pooled"] as const) {
  for (const c of cases) {
    Deno.test(`conv2d forward and gradients (wasm SIMD, ${path}) match the cpu backend: ${c.name}`, async () => {
      const want = await forwardAndGradients("cpu", c);
      const got = await onPath(path, () => forwardAndGradients("simd", c));
      const names = ["conv2d", "fused conv2d + bias + relu", "dx", "dfilter"];
      names.forEach((name, i) => assertClose(got[i], want[i], name));
    });
  }
}

// Exact --resume needs training to be bit-reproducible: the pooled kernels hand out chunks to
// whichever thread is free, so each result must not depend on who computed what.
const reproducibleCases = cases.filter((c) =>
  c.name === "3x3 s1 same, dW in slots" || c.name === "3x3 s1 same, P 576" ||
  c.name === "7x7 s2 explicit (ResNet stem)"
);
for (const c of reproducibleCases) {
  Deno.test(`conv2d SIMD kernels give bit-identical results in place and on 2-4 threads: ${c.name}`, async () => {
    const want = await onPath("in place", () => forwardAndGradients("simd", c));
    for (const path of ["pooled", "pooled, 3 threads", "pooled, 4 threads", "pooled"] as const) {
      const got = await onPath(path, () => forwardAndGradients("simd", c));
      ["conv2d", "fused conv2d", "dx", "dfilter"].forEach((name, i) => {
        const diff = got[i].findIndex((v, j) => !Object.is(v, want[i][j]));
        assert.equal(diff, -1, `${name} on ${path}: element ${diff} differs from in place`);
      });
    }
  });
}

Deno.test("conv2d SIMD kernels are the registered wasm kernels", async () => {
  await useSide("simd");
  for (const name of [tf.Conv2D, tf.FusedConv2D, tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput]) {
    const config = tf.getKernel(name, "wasm");
    assert.ok(config !== undefined, name);
    assert.match(config.kernelFunc.toString(), /runConv2d/, `${name} is not the SIMD kernel`);
  }
});

Deno.test("conv2d with dilation 2 falls back to the previous kernel and stays correct", async () => {
  const x = randomValues(2 * 9 * 9 * 3, 5);
  const f = randomValues(3 * 3 * 3 * 4, 6);
  const run = (side: Side) =>
    runOn(side, () => [
      tf.conv2d(tf.tensor4d(x, [2, 9, 9, 3]), tf.tensor4d(f, [3, 3, 3, 4]), 1, "same", "NHWC", 2),
    ]);
  const [want] = await run("cpu");
  const [got] = await run("simd");
  assertClose(got, want, "dilated conv2d");
});
