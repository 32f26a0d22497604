import assert from "node:assert/strict";
import { Rng } from "../../shared/rng.ts";
import { SimdModule, standaloneHeap } from "./simd_module.ts";
import { defaultThreadCount, SimdPool } from "./simd_pool.ts";

/** [n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, padTop, padLeft] */
type Geometry = number[];

const geometries: [string, Geometry][] = [
  ["3x3 s1 same, 6 images", [6, 9, 9, 8, 9, 9, 12, 3, 3, 1, 1, 1, 1]],
  ["3x3 s2, Cin 3", [5, 11, 11, 3, 6, 6, 16, 3, 3, 2, 2, 1, 1]],
  ["1x1, Cout 260", [3, 4, 4, 8, 4, 4, 260, 1, 1, 1, 1, 0, 0]],
];

function fill(buffer: ArrayBufferLike, ptr: number, n: number, rng: Rng): Float32Array {
  const v = new Float32Array(buffer, ptr, n);
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  return v.slice();
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/**
 * Runs the three convolution tasks on the pool (caller + worker, or worker only) and returns
 * y, dW and dx, for the same inputs as `reference`.
 */
function pooled(pool: SimdPool, g: Geometry, callerWorks: boolean, seed: number) {
  const [n, h, w, cin, oh, ow, cout, kh, kw] = g;
  const e = pool.exports;
  const rng = new Rng(seed);
  pool.reset();
  const x = pool.alloc(n * h * w * cin * 4);
  const wt = pool.alloc(kh * kw * cin * cout * 4);
  const dy = pool.alloc(n * oh * ow * cout * 4);
  const bias = pool.alloc(cout * 4);
  const inputs = [
    fill(pool.memory.buffer, x, n * h * w * cin, rng),
    fill(pool.memory.buffer, wt, kh * kw * cin * cout, rng),
    fill(pool.memory.buffer, dy, n * oh * ow * cout, rng),
    fill(pool.memory.buffer, bias, cout, rng),
  ];
  const t = pool.threads;
  const y = pool.alloc(n * oh * ow * cout * 4);
  const fwdPacked = pool.alloc(e.conv_fwd_packed_floats(cin, cout, kh, kw) * 4);
  const fwdScratch = pool.alloc(t * e.conv_fwd_task_scratch_floats() * 4);
  e.conv_fwd_pack(wt, fwdPacked, cin, cout, kh, kw);
  pool.run("conv_fwd_task", [
    x,
    fwdPacked,
    bias,
    1,
    y,
    ...g,
    fwdScratch,
    e.conv_fwd_task_scratch_floats(),
    128,
  ], callerWorks);
  const fwdWorker = pool.worked(1);

  const len = kh * kw * cin * cout;
  const slotPositions = 256;
  const slots = Math.ceil((n * oh * ow) / slotPositions);
  const parts = pool.alloc(slots * len * 4);
  const dwScratch = pool.alloc(t * e.conv2d_backprop_filter_scratch_floats() * 4);
  pool.run("conv_dw_slot_task", [
    x,
    dy,
    parts,
    len,
    ...g,
    dwScratch,
    e.conv2d_backprop_filter_scratch_floats(),
    slotPositions,
  ], callerWorks);
  const dwWorker = pool.worked(1);
  e.sum_slots(parts, parts, len, len, slots);
  const dwRows = pool.alloc(len * 4);
  pool.run("conv_dw_rows_task", [
    x,
    dy,
    dwRows,
    ...g,
    dwScratch,
    e.conv2d_backprop_filter_scratch_floats(),
    4,
  ], callerWorks);
  const dwRowsWorker = pool.worked(1);

  const dx = pool.alloc(n * h * w * cin * 4);
  const dxPacked = pool.alloc(e.conv2d_backprop_input_scratch_floats(cin, cout, kh, kw) * 4);
  const dxScratch = pool.alloc(t * e.conv_dx_task_scratch_floats(cin, cout, kh, kw) * 4);
  e.conv_dx_pack(wt, dxPacked, cin, cout, kh, kw);
  pool.run("conv_dx_task", [
    dy,
    dxPacked,
    dx,
    ...g,
    dxScratch,
    e.conv_dx_task_scratch_floats(cin, cout, kh, kw),
    1,
  ], callerWorks);
  const dxWorker = pool.worked(1);
  const out = (ptr: number, count: number) =>
    new Float32Array(pool.memory.buffer, ptr, count).slice();
  return {
    inputs,
    y: out(y, n * oh * ow * cout),
    dw: out(parts, len),
    dwRows: out(dwRows, len),
    dx: out(dx, n * h * w * cin),
    workerRan: [fwdWorker, dwWorker, dwRowsWorker, dxWorker],
  };
}

/** The single-threaded in-place entry points on a heap of their own. */
function reference(g: Geometry, inputs: Float32Array[]) {
  const [n, h, w, cin, oh, ow, cout, kh, kw] = g;
  const heap = standaloneHeap(64 << 20);
  const simd = new SimdModule(heap);
  const e = simd.exports;
  const put = (v: Float32Array) => {
    const p = heap.malloc(v.length * 4);
    new Float32Array(heap.memory.buffer, p, v.length).set(v);
    return p;
  };
  const [x, wt, dy, bias] = inputs.map(put);
  const y = heap.malloc(n * oh * ow * cout * 4);
  const dw = heap.malloc(kh * kw * cin * cout * 4);
  const dx = heap.malloc(n * h * w * cin * 4);
  e.conv2d_forward(
    x,
    wt,
    bias,
    1,
    y,
    ...g,
    simd.scratch(e.conv2d_forward_scratch_floats(cin, cout, kh, kw)),
  );
  e.conv2d_backprop_filter(
    x,
    dy,
    dw,
    ...g,
    simd.scratch(e.conv2d_backprop_filter_scratch_floats()),
  );
  e.conv2d_backprop_input(
    dy,
    wt,
    dx,
    ...g,
    simd.scratch(e.conv2d_backprop_input_scratch_floats(cin, cout, kh, kw)),
  );
  const out = (ptr: number, count: number) =>
    new Float32Array(heap.memory.buffer, ptr, count).slice();
  return {
    y: out(y, n * oh * ow * cout),
    dw: out(dw, kh * kw * cin * cout),
    dx: out(dx, n * h * w * cin),
  };
}

Deno.test("SimdPool tasks match the single-threaded kernels, with and without the caller", async (t) => {
  const pool = new SimdPool(2);
  try {
    for (const [name, g] of geometries) {
      for (const callerWorks of [true, false]) {
        await t.step(`${name}, ${callerWorks ? "caller + worker" : "worker only"}`, () => {
          const got = pooled(pool, g, callerWorks, 61);
          const want = reference(g, got.inputs);
          if (!callerWorks) {
            assert.deepEqual(got.workerRan, [true, true, true, true], "worker did the work");
          }
          // y and dx are computed in the same order either way; dW sums chunks in another order.
          assert.deepEqual(got.y, want.y, "y");
          assert.deepEqual(got.dx, want.dx, "dx");
          assert.ok(
            maxAbsDiff(got.dw, want.dw) <= 1e-4,
            `dW differs by ${maxAbsDiff(got.dw, want.dw)}`,
          );
          assert.deepEqual(got.dwRows, want.dw, "dW by rows (same summation order)");
        });
      }
    }
  } finally {
    pool.close();
  }
});

Deno.test("SimdPool rejects bad thread counts and a worker-only run without workers", () => {
  assert.throws(() => new SimdPool(0), RangeError);
  assert.throws(() => new SimdPool(9), RangeError);
  const pool = new SimdPool(1);
  assert.throws(() => pool.run("conv_fwd_task", [], false), RangeError);
  pool.close();
});

Deno.test("defaultThreadCount follows EDGECLASS_SIMD_THREADS", () => {
  const before = Deno.env.get("EDGECLASS_SIMD_THREADS");
  try {
    for (const [value, want] of [["1", 1], ["3", 3], ["0", 1], ["x", 1], ["64", 8]] as const) {
      Deno.env.set("EDGECLASS_SIMD_THREADS", value);
      assert.equal(defaultThreadCount(), want, value);
    }
  } finally {
    if (before === undefined) Deno.env.delete("EDGECLASS_SIMD_THREADS");
    else Deno.env.set("EDGECLASS_SIMD_THREADS", before);
  }
});

Deno.test("SimdPool.whenReady resolves true once every worker is up, false on timeout", async () => {
  for (const threads of [2, 4]) {
    const pool = new SimdPool(threads);
    try {
      // A worker takes milliseconds to load its module: not ready the moment it is created.
      assert.equal(await pool.whenReady(0), false, `${threads} threads, no time to start`);
      assert.equal(await pool.whenReady(10_000), true, `${threads} threads`);
      assert.equal(await pool.whenReady(0), true, `${threads} threads, already up`);
    } finally {
      pool.close();
    }
  }
});
