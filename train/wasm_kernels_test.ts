import assert from "node:assert/strict";
import { chooseBackend, tf } from "./backend.ts";
import { WASM_KERNEL_NAMES } from "./wasm_kernels.ts";
import { isBroadcastTile } from "./kernels/broadcast_tile.ts";

const quiet = () => {};
type Shape4 = [number, number, number, number];
type Pad = "same" | "valid" | number | [[0, 0], [number, number], [number, number], [0, 0]];

/** Deterministic pseudo-random values in [-1, 1) so cpu and wasm see identical inputs. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Runs `fn` on the named backend and returns plain arrays (backend-independent). */
async function on(backend: "cpu" | "wasm", fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await chooseBackend(backend, quiet);
  const outs = tf.tidy(fn);
  const data = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return data;
}

/** Max |a - b| must be within rtol of the largest |b| (float32 sums in different orders). */
function assertClose(actual: Float32Array, expected: Float32Array, what: string, rtol = 1e-4) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) worst = d; // NaN-safe: NaN makes worst NaN
  }
  assert.ok(scale > 0, `${what}: reference gradient is all zeros, test is vacuous`);
  assert.ok(worst <= rtol * scale, `${what}: max abs diff ${worst} > ${rtol} * ${scale}`);
}

interface ConvCase {
  name: string;
  depthwise: boolean;
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  pad: Pad;
}

const convCases: ConvCase[] = [
  {
    name: "3x3 s1 same",
    depthwise: false,
    x: [2, 8, 8, 3],
    filter: [3, 3, 3, 4],
    strides: 1,
    pad: "same",
  },
  {
    name: "3x3 s2 same even",
    depthwise: false,
    x: [2, 8, 8, 5],
    filter: [3, 3, 5, 4],
    strides: 2,
    pad: "same",
  },
  {
    name: "3x3 s2 same odd",
    depthwise: false,
    x: [2, 9, 9, 3],
    filter: [3, 3, 3, 6],
    strides: 2,
    pad: "same",
  },
  {
    name: "3x3 s1 valid",
    depthwise: false,
    x: [2, 7, 6, 3],
    filter: [3, 3, 3, 4],
    strides: 1,
    pad: "valid",
  },
  {
    name: "3x3 s2 valid",
    depthwise: false,
    x: [2, 9, 8, 4],
    filter: [3, 3, 4, 3],
    strides: 2,
    pad: "valid",
  },
  {
    name: "3x3 s2 pad=1",
    depthwise: false,
    x: [1, 8, 8, 2],
    filter: [3, 3, 2, 3],
    strides: 2,
    pad: 1,
  },
  {
    name: "7x7 s2 explicit 3",
    depthwise: false,
    x: [1, 16, 16, 3],
    filter: [7, 7, 3, 4],
    strides: 2,
    pad: [[0, 0], [3, 3], [3, 3], [0, 0]],
  },
  {
    name: "5x5 s2 same",
    depthwise: false,
    x: [1, 11, 11, 2],
    filter: [5, 5, 2, 3],
    strides: 2,
    pad: "same",
  },
  {
    name: "3x1 s[2,1] same",
    depthwise: false,
    x: [2, 7, 5, 3],
    filter: [3, 1, 3, 2],
    strides: [2, 1],
    pad: "same",
  },
  {
    name: "1x1 s1 valid",
    depthwise: false,
    x: [2, 5, 5, 6],
    filter: [1, 1, 6, 7],
    strides: 1,
    pad: "valid",
  },
  {
    name: "1x1 s2 valid even",
    depthwise: false,
    x: [2, 8, 8, 6],
    filter: [1, 1, 6, 5],
    strides: 2,
    pad: "valid",
  },
  {
    name: "1x1 s2 same odd",
    depthwise: false,
    x: [2, 7, 7, 4],
    filter: [1, 1, 4, 3],
    strides: 2,
    pad: "same",
  },
  {
    name: "dw 3x3 s1 same",
    depthwise: true,
    x: [2, 8, 8, 4],
    filter: [3, 3, 4, 1],
    strides: 1,
    pad: "same",
  },
  {
    name: "dw 3x3 s2 same odd",
    depthwise: true,
    x: [2, 9, 9, 4],
    filter: [3, 3, 4, 1],
    strides: 2,
    pad: "same",
  },
  {
    name: "dw 5x5 s2 same",
    depthwise: true,
    x: [2, 10, 10, 3],
    filter: [5, 5, 3, 1],
    strides: 2,
    pad: "same",
  },
  {
    name: "dw 5x5 s1 valid",
    depthwise: true,
    x: [1, 9, 9, 3],
    filter: [5, 5, 3, 1],
    strides: 1,
    pad: "valid",
  },
  {
    name: "dw 3x3 s2 valid",
    depthwise: true,
    x: [2, 9, 8, 3],
    filter: [3, 3, 3, 1],
    strides: 2,
    pad: "valid",
  },
  {
    name: "dw 3x3 s1 same m=2",
    depthwise: true,
    x: [1, 6, 6, 3],
    filter: [3, 3, 3, 2],
    strides: 1,
    pad: "same",
  },
  {
    name: "dw 3x3 s2 same m=3",
    depthwise: true,
    x: [1, 7, 7, 2],
    filter: [3, 3, 2, 3],
    strides: 2,
    pad: "same",
  },
];

/** d(sum(conv(x, w) * r))/dx and /dw, with r random so every output position matters. */
function convGrads(c: ConvCase): tf.Tensor[] {
  const x = tf.tensor4d(values(sizeOf(c.x), 1), c.x);
  const w = tf.tensor4d(values(sizeOf(c.filter), 2), c.filter);
  const forward = (x: tf.Tensor4D, w: tf.Tensor4D) =>
    c.depthwise
      ? tf.depthwiseConv2d(x, w, c.strides, c.pad as "same")
      : tf.conv2d(x, w, c.strides, c.pad as "same");
  const outShape = forward(x, w).shape;
  const r = tf.tensor(values(sizeOf(outShape), 3), outShape);
  const g = tf.grads((x: tf.Tensor, w: tf.Tensor) =>
    tf.sum(tf.mul(forward(x as tf.Tensor4D, w as tf.Tensor4D), r))
  );
  return g([x, w]);
}

for (const c of convCases) {
  Deno.test(`wasm ${c.depthwise ? "depthwise" : "conv2d"} gradients match cpu: ${c.name}`, async () => {
    const [dxCpu, dwCpu] = await on("cpu", () => convGrads(c));
    const [dxWasm, dwWasm] = await on("wasm", () => convGrads(c));
    assertClose(dxWasm, dxCpu, `${c.name} dx`);
    assertClose(dwWasm, dwCpu, `${c.name} dw`);
  });
}

const tileCases: Array<{ shape: number[]; reps: number[]; dtype: "float32" | "int32" }> = [
  { shape: [1, 1, 1, 4], reps: [2, 3, 3, 1], dtype: "float32" },
  { shape: [3, 1], reps: [1, 5], dtype: "float32" },
  { shape: [1, 2], reps: [3, 1], dtype: "int32" },
  { shape: [2, 3], reps: [2, 2], dtype: "float32" }, // not a broadcast: original kernel
  { shape: [2, 1, 3], reps: [1, 2, 2], dtype: "int32" }, // mixed: original kernel
];

for (const { shape, reps, dtype } of tileCases) {
  Deno.test(`wasm Tile matches cpu: ${dtype} [${shape}] x [${reps}]`, async () => {
    const make = () => [
      tf.tile(
        tf.tensor(values(sizeOf(shape), 4).map((v) => Math.round(v * 50)), shape, dtype),
        reps,
      ),
    ];
    const [cpu] = await on("cpu", make);
    const [wasm] = await on("wasm", make);
    assert.deepEqual(Array.from(wasm), Array.from(cpu));
  });
}

Deno.test("isBroadcastTile accepts only reps on size-1 axes", () => {
  const table: Array<[number[], number[], boolean]> = [
    [[1, 1, 1, 4], [2, 3, 3, 1], true],
    [[2, 3], [1, 1], true],
    [[2, 3], [2, 1], false],
    [[2, 1], [1, 2], true],
    [[2, 1], [1], false],
  ];
  for (const [shape, reps, expected] of table) {
    assert.equal(isBroadcastTile(shape, reps), expected, `[${shape}] x [${reps}]`);
  }
});

Deno.test("wasm batchNorm gradients (which tile) match cpu", async () => {
  const shape: Shape4 = [3, 5, 4, 6];
  const grads = () => {
    const x = tf.tensor4d(values(sizeOf(shape), 5), shape);
    const mean = tf.tensor1d(values(6, 6));
    const variance = tf.tensor1d(values(6, 7).map((v) => v + 1.5));
    const scale = tf.tensor1d(values(6, 8));
    const offset = tf.tensor1d(values(6, 9));
    const r = tf.tensor4d(values(sizeOf(shape), 10), shape);
    return tf.grads((x, m, v, s, o) => tf.sum(tf.mul(tf.batchNorm(x, m, v, o, s, 1e-3), r)))([
      x,
      mean,
      variance,
      scale,
      offset,
    ]);
  };
  const cpu = await on("cpu", grads);
  const wasm = await on("wasm", grads);
  ["x", "mean", "variance", "scale", "offset"].forEach((name, i) =>
    assertClose(wasm[i], cpu[i], `batchNorm d${name}`)
  );
});

const matMulCases: Array<{ a: number[]; b: number[]; ta: boolean; tb: boolean }> = [
  { a: [5, 7], b: [7, 3], ta: false, tb: false },
  { a: [7, 5], b: [7, 3], ta: true, tb: false },
  { a: [5, 7], b: [3, 7], ta: false, tb: true },
  { a: [7, 5], b: [3, 7], ta: true, tb: true },
  { a: [2, 7, 5], b: [2, 3, 7], ta: true, tb: true },
  { a: [1, 4, 6], b: [3, 6, 2], ta: false, tb: false }, // broadcast batch
  { a: [3, 6, 4], b: [1, 2, 6], ta: true, tb: true }, // broadcast batch, transposed
];

for (const { a, b, ta, tb } of matMulCases) {
  Deno.test(`wasm matMul matches cpu: [${a}]${ta ? "^T" : ""} x [${b}]${tb ? "^T" : ""}`, async () => {
    const make = () => [
      tf.matMul(tf.tensor(values(sizeOf(a), 11), a), tf.tensor(values(sizeOf(b), 12), b), ta, tb),
    ];
    const [cpu] = await on("cpu", make);
    const [wasm] = await on("wasm", make);
    assertClose(wasm, cpu, "matMul", 1e-5);
  });
}

const reduceCases: Array<{ shape: number[]; axis: number | number[] | null; keepDims: boolean }> = [
  { shape: [4, 5, 3], axis: null, keepDims: false }, // null means all axes
  { shape: [4, 5, 6, 3], axis: [0, 1, 2], keepDims: false }, // BatchNorm statistics
  { shape: [4, 5, 6, 3], axis: [0, 1, 2], keepDims: true },
  { shape: [4, 5, 6, 3], axis: [1, 2], keepDims: false }, // global average pooling
  { shape: [4, 5, 6, 3], axis: [-3, -2], keepDims: true },
  { shape: [6, 3], axis: 0, keepDims: false }, // Dense bias gradient
  { shape: [4, 5, 6, 3], axis: [3], keepDims: false }, // innermost: wasm's own kernel
  { shape: [4, 5, 6, 3], axis: [0, 2], keepDims: false }, // not contiguous: wasm's own
  { shape: [4, 5, 6, 3], axis: [0, 1, 2, 3], keepDims: false }, // everything: wasm's own
];

for (const { shape, axis, keepDims } of reduceCases) {
  for (const op of ["sum", "mean"] as const) {
    Deno.test(`wasm ${op} matches cpu: [${shape}] over ${axis}${keepDims ? " keepDims" : ""}`, async () => {
      const make =
        () => [tf[op](tf.tensor(values(sizeOf(shape), 13), shape), axis ?? undefined, keepDims)];
      const [cpu] = await on("cpu", make);
      const shapeOf = () => [tf.tensor(tf[op](tf.zeros(shape), axis ?? undefined, keepDims).shape)];
      const [wasm] = await on("wasm", make);
      assertClose(wasm, cpu, op, 1e-5);
      assert.deepEqual(
        Array.from((await on("wasm", shapeOf))[0]),
        Array.from((await on("cpu", shapeOf))[0]),
      );
    });
  }
}

Deno.test("wasm int32 sum over leading axes matches cpu exactly", async () => {
  const make = () => [tf.sum(tf.tensor([1, 2, 3, 4, 5, 6], [3, 2], "int32"), 0)];
  const [cpu] = await on("cpu", make);
  const [wasm] = await on("wasm", make);
  assert.deepEqual(Array.from(wasm), Array.from(cpu));
});

Deno.test("wasm kernels called outside any tidy leak no tensors or buffers", async () => {
  await chooseBackend("wasm", quiet);
  const run = (kernel: string, inputs: Record<string, tf.Tensor>, attrs: object) =>
    tf.engine().runKernel(
      kernel,
      inputs as tf.NamedTensorMap,
      attrs as tf.NamedAttrMap,
    ) as tf.Tensor;
  const step = () => {
    const x = tf.ones([2, 6, 6, 3]);
    const dy = tf.ones([2, 3, 3, 4]);
    const w = tf.ones([3, 3, 3, 4]);
    const dwY = tf.ones([2, 3, 3, 3]);
    const dwW = tf.ones([3, 3, 3, 1]);
    const a = tf.ones([3, 2]);
    const b = tf.ones([4, 3]);
    const row = tf.ones([1, 3]);
    const conv = { strides: 2, pad: "same", dataFormat: "NHWC" };
    const dw = { strides: 2, pad: "same", dilations: 1 };
    const outs = [
      run(tf.Conv2DBackpropFilter, { x, dy }, { ...conv, filterShape: w.shape }),
      run(tf.Conv2DBackpropInput, { dy, filter: w }, { ...conv, inputShape: x.shape }),
      run(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy: dwY }, {
        ...dw,
        filterShape: dwW.shape,
      }),
      run(tf.DepthwiseConv2dNativeBackpropInput, { dy: dwY, filter: dwW }, {
        ...dw,
        inputShape: x.shape,
      }),
      tf.sum(x, [0, 1, 2]),
      tf.mean(x, [1, 2]),
      tf.matMul(a, b, true, true),
      tf.tile(row, [4, 1]),
    ];
    outs.forEach((t) => t.dataSync());
    tf.dispose([x, dy, w, dwY, dwW, a, b, row, ...outs]);
  };
  step(); // first use may allocate lasting things (e.g. kernel caches)
  const before = tf.memory();
  step();
  const after = tf.memory();
  assert.equal(after.numTensors, before.numTensors);
  assert.equal(after.numDataBuffers, before.numDataBuffers);
});

Deno.test("registerWasmKernels leaves every added/replaced kernel registered for wasm", async () => {
  await chooseBackend("wasm", quiet);
  for (const name of [...WASM_KERNEL_NAMES.added, ...WASM_KERNEL_NAMES.replaced]) {
    assert.ok(tf.getKernel(name, "wasm") !== undefined, name);
  }
});
