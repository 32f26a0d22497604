import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { chooseBackend } from "../backend.ts";
import { conv2dBackpropFilterTiled, planSplits, rowStep } from "./conv2d_backprop_filter_webgpu.ts";
import { webgpuPatchesActive } from "./webgpu_patches.ts";
import { webgpuTestGate } from "./webgpu_missing.ts";
import type { WebgpuBackendInternals } from "./write_buffer_uploads.ts";

const { ignore, requireWebgpu } = await webgpuTestGate("conv2d_backprop_filter_webgpu_test");

Deno.test("planSplits covers the reduction with 16-row-aligned chunks", () => {
  const cases: { m: number; tiles: number; target: number; minChunk: number; splits: number }[] = [
    // SimpleCNN 32px b128 first conv: M = 128*32*32, one 64x64 tile -> 256 splits of 512
    { m: 131072, tiles: 1, target: 2048, minChunk: 512, splits: 256 },
    // few rows: one split
    { m: 100, tiles: 1, target: 2048, minChunk: 512, splits: 1 },
    // many tiles already fill the GPU: one split
    { m: 3136, tiles: 4096, target: 2048, minChunk: 512, splits: 1 },
    // 2048 / 5 tiles -> 410 wanted, M/512 = 6 allowed
    { m: 3200, tiles: 5, target: 2048, minChunk: 512, splits: 6 },
    // 3 allowed, but chunks of 17 round up to 32 rows, so 2 cover the 50
    { m: 50, tiles: 1, target: 64, minChunk: 16, splits: 2 },
  ];
  for (const c of cases) {
    const p = planSplits(c.m, c.tiles, { targetWorkgroups: c.target, minChunk: c.minChunk });
    assert.equal(p.splits, c.splits, JSON.stringify(c));
    assert.equal(p.chunk % 16, 0);
    assert.ok(p.splits * p.chunk >= c.m, "every row is in a split");
    assert.ok((p.splits - 1) * p.chunk < c.m, "no split is empty");
  }
  assert.throws(() => planSplits(0, 1), RangeError);
});

Deno.test("rowStep is 16 reduction rows as (n, oh, ow)", () => {
  const cases: [number, number, [number, number, number]][] = [
    [32, 32, [0, 0, 16]],
    [8, 8, [0, 2, 0]],
    [3, 3, [1, 2, 1]], // 16 = 1*9 + 2*3 + 1
    [2, 2, [4, 0, 0]],
    [1, 1, [16, 0, 0]],
    [9, 6, [0, 2, 4]],
  ];
  for (const [h, w, want] of cases) {
    const got = rowStep(h, w);
    assert.deepEqual(got, want, `${h}x${w}`);
    assert.equal(got[0] * h * w + got[1] * w + got[2], 16);
  }
});

/** Deterministic values in [-1, 1) (an LCG: no tf random state involved). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

type Pad = "same" | "valid" | tf.backend_util.ExplicitPadding;

interface Geometry {
  name: string;
  x: [number, number, number, number]; // [N, H, W, Ci]
  filter: [number, number, number, number]; // [KH, KW, Ci, Co]
  strides: [number, number];
  pad: Pad;
}

const GEOMETRIES: Geometry[] = [
  {
    name: "3x3 s1 same, Co 7",
    x: [2, 8, 8, 5],
    filter: [3, 3, 5, 7],
    strides: [1, 1],
    pad: "same",
  },
  {
    name: "3x3 s2 same, odd size",
    x: [2, 9, 9, 4],
    filter: [3, 3, 4, 6],
    strides: [2, 2],
    pad: "same",
  },
  // OH = 4: input rows 9 is never read
  { name: "3x3 s2 valid", x: [1, 10, 10, 3], filter: [3, 3, 3, 8], strides: [2, 2], pad: "valid" },
  {
    name: "3x3 s1 explicit pads, H != W",
    x: [2, 7, 6, 3],
    filter: [3, 3, 3, 5],
    strides: [1, 1],
    pad: [[0, 0], [1, 2], [2, 0], [0, 0]],
  },
  {
    name: "7x7 s2 stem, Cin 3",
    x: [2, 16, 16, 3],
    filter: [7, 7, 3, 10],
    strides: [2, 2],
    pad: [[0, 0], [3, 3], [3, 3], [0, 0]],
  },
  {
    name: "1x1 s2 downsample",
    x: [2, 8, 8, 12],
    filter: [1, 1, 12, 9],
    strides: [2, 2],
    pad: "valid",
  },
  // R = 144 rows (3 tiles of 64), Co 70 (2 tiles)
  {
    name: "3x3 s1 multi-tile",
    x: [2, 6, 6, 16],
    filter: [3, 3, 16, 70],
    strides: [1, 1],
    pad: "same",
  },
  {
    name: "5x3 kernel, strides 1x2",
    x: [1, 9, 11, 2],
    filter: [5, 3, 2, 3],
    strides: [1, 2],
    pad: "same",
  },
];

interface Case {
  x: Float32Array;
  dy: Float32Array;
  dyShape: [number, number, number, number];
  attrs: {
    strides: [number, number];
    pad: Pad;
    dataFormat: "NHWC" | "NCHW";
    filterShape: [number, number, number, number];
  };
}

function makeCase(g: Geometry, seed: number): Case {
  const info = tf.backend_util.computeConv2DInfo(g.x, g.filter, g.strides, 1, g.pad);
  return {
    x: values(g.x.reduce((a, b) => a * b), seed),
    dy: values(info.outShape.reduce((a, b) => a * b), seed + 1),
    dyShape: info.outShape,
    attrs: { strides: g.strides, pad: g.pad, dataFormat: "NHWC", filterShape: g.filter },
  };
}

/** Conv2DBackpropFilter through the registered kernel of the active backend. */
async function runKernel(g: Geometry, c: Case): Promise<Float32Array> {
  const x = tf.tensor4d(c.x, g.x);
  const dy = tf.tensor4d(c.dy, c.dyShape);
  const dw = tf.engine().runKernel(
    tf.Conv2DBackpropFilter,
    { x, dy },
    c.attrs as unknown as tf.NamedAttrMap,
  ) as tf.Tensor;
  assert.deepEqual(dw.shape, g.filter);
  const out = await dw.data() as Float32Array;
  tf.dispose([x, dy, dw]);
  return out;
}

/** The tiled kernel called directly, with a split plan forced to several splits. */
async function runTiledSplit(g: Geometry, c: Case): Promise<Float32Array> {
  const x = tf.tensor4d(c.x, g.x);
  const dy = tf.tensor4d(c.dy, c.dyShape);
  const info = conv2dBackpropFilterTiled(
    {
      inputs: { x, dy },
      backend: tf.backend() as unknown as WebgpuBackendInternals,
      attrs: { ...c.attrs },
    },
    { targetWorkgroups: 1 << 16, minChunk: 16 },
  );
  const dw = tf.engine().makeTensorFromTensorInfo(info);
  assert.deepEqual(dw.shape, g.filter);
  const out = await dw.data() as Float32Array;
  tf.dispose([x, dy, dw]);
  return out;
}

function assertClose(got: Float32Array, ref: Float32Array, what: string): void {
  assert.equal(got.length, ref.length, what);
  const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(scale > 0, `${what}: reference is all zeros`);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]));
  assert.ok(worst <= 1e-4 * scale, `${what}: max |diff| ${worst} > 1e-4 * ${scale}`);
}

Deno.test({
  name: "tiled webgpu Conv2DBackpropFilter matches the cpu backend on strides, pads and shapes",
  ignore,
  async fn() {
    requireWebgpu();
    const refs: Float32Array[] = [];
    const cases = GEOMETRIES.map((g, i) => makeCase(g, 100 + 7 * i));
    await chooseBackend("cpu", () => {});
    for (const [i, g] of GEOMETRIES.entries()) refs.push(await runKernel(g, cases[i]));

    await chooseBackend("webgpu", () => {});
    assert.ok(webgpuPatchesActive(), "the patches are on by default");
    for (const [i, g] of GEOMETRIES.entries()) {
      assertClose(await runKernel(g, cases[i]), refs[i], `${g.name} (registered kernel)`);
      assertClose(await runTiledSplit(g, cases[i]), refs[i], `${g.name} (split reduction)`);
    }
  },
});

Deno.test({
  name: "webgpu Conv2DBackpropFilter falls back to tfjs's kernel for NCHW",
  ignore,
  async fn() {
    requireWebgpu();
    // [N, C, H, W] input, [N, Co, OH, OW] dy; filter [KH, KW, Ci, Co] as for NHWC
    const xShape: [number, number, number, number] = [2, 3, 7, 7];
    const dyShape: [number, number, number, number] = [2, 4, 4, 4];
    const attrs = { strides: 2, pad: "same", dataFormat: "NCHW", filterShape: [3, 3, 3, 4] };
    const run = async () => {
      const x = tf.tensor4d(values(2 * 3 * 7 * 7, 5), xShape);
      const dy = tf.tensor4d(values(2 * 4 * 4 * 4, 6), dyShape);
      const dw = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs) as tf.Tensor;
      const out = await dw.data() as Float32Array;
      tf.dispose([x, dy, dw]);
      return out;
    };
    await chooseBackend("cpu", () => {});
    const ref = await run();
    await chooseBackend("webgpu", () => {});
    assertClose(await run(), ref, "NCHW");
  },
});

Deno.test({
  name: "conv2d gradients on webgpu with the tiled kernel match the cpu backend",
  ignore,
  async fn() {
    requireWebgpu();
    // through tf.grad, as training uses it: the filter gradient of a strided conv
    const xv = values(2 * 11 * 11 * 4, 9);
    const wv = values(3 * 3 * 4 * 6, 10);
    const grad = async () => {
      const x = tf.tensor4d(xv, [2, 11, 11, 4]);
      const w = tf.tensor4d(wv, [3, 3, 4, 6]);
      const g = tf.grad((f) => tf.conv2d(x, f as tf.Tensor4D, 2, "same").square().sum())(w);
      const out = await g.data() as Float32Array;
      tf.dispose([x, w, g]);
      return out;
    };
    await chooseBackend("cpu", () => {});
    const ref = await grad();
    await chooseBackend("webgpu", () => {});
    assertClose(await grad(), ref, "tf.grad of conv2d");
  },
});
