/**
 * Runs the convolution GEMMs of csrc/ for tensors on the tfjs-wasm heap: in place on one thread,
 * or, when the work is big enough and there are cores to spare, copied into the SimdPool and
 * split across its threads.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type ConvGeometry, convMacs, dwSlotPositions, G, simdTuning } from "./conv2d_geometry.ts";
import { getSimdPool, type SimdPool } from "./simd_pool.ts";
import { heapOffset, simdFor, type WasmBackendLike } from "./wasm_heap.ts";

const F32 = 4;

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The pool to use for this much work, or null for the in-place path. */
function poolFor(g: ConvGeometry): SimdPool | null {
  return convMacs(g) >= simdTuning.poolMinMacs ? getSimdPool() : null;
}

/** Chunk length in units of `unit` giving each thread about 8 chunks (load balancing). */
function chunkOf(total: number, threads: number, unit: number): number {
  return Math.max(unit, Math.ceil(total / (threads * 8) / unit) * unit);
}

function heapBuffer(backend: WasmBackendLike): ArrayBufferLike {
  return backend.wasm.asm.memory.buffer;
}

/**
 * dW [KH, KW, Cin, Cout] of a conv2d from x [N, H, W, Cin] and dy [N, OH, OW, Cout].
 *
 * The sum over output positions goes by dwSlotPositions(g): fixed slots, each a partial dW,
 * added in slot order. In place or in the pool, on any number of threads, every element is
 * the same sequence of float additions, so the result is bit-identical (exact --resume).
 */
export function runConv2dBackpropFilter(
  backend: WasmBackendLike,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: ConvGeometry,
  dw: tf.TensorInfo,
): void {
  const len = sizeOf(dw.shape);
  const positions = g[G.n] * g[G.oh] * g[G.ow];
  const slotPositions = dwSlotPositions(g);
  const slots = slotPositions === 0 ? 1 : Math.ceil(positions / slotPositions);
  const pool = poolFor(g);
  if (pool === null) {
    // In place, one slot of all positions when the geometry asks for no slots: the same sums.
    const simd = simdFor(backend);
    const scratchFloats = simd.exports.conv2d_backprop_filter_scratch_floats();
    const scratch = simd.scratch(scratchFloats + slots * len); // GEMM work area, then partials
    simd.exports.conv2d_backprop_filter_slots(
      heapOffset(backend, x),
      heapOffset(backend, dy),
      heapOffset(backend, dw),
      ...g,
      scratch + scratchFloats * F32,
      slotPositions || Math.max(1, positions),
      scratch,
    );
    return;
  }
  const heap = heapBuffer(backend);
  pool.reset();
  const px = pool.copyIn(heap, heapOffset(backend, x), sizeOf(x.shape) * F32);
  const pdy = pool.copyIn(heap, heapOffset(backend, dy), sizeOf(dy.shape) * F32);
  const scratchFloats = pool.exports.conv2d_backprop_filter_scratch_floats();
  const scratch = pool.alloc(pool.threads * scratchFloats * F32);
  if (slotPositions > 0) {
    const parts = pool.alloc(slots * len * F32);
    pool.run("conv_dw_slot_task", [
      px,
      pdy,
      parts,
      len,
      ...g,
      scratch,
      scratchFloats,
      slotPositions,
    ]);
    pool.exports.sum_slots(parts, parts, len, len, slots);
    pool.copyOut(parts, heapBuffer(backend), heapOffset(backend, dw), len * F32);
    return;
  }
  // Few positions (deep layers): split the rows of dW instead; each row is still one running
  // sum over all positions, as in place.
  const filterRows = g[G.kh] * g[G.kw] * g[G.cin];
  const pdw = pool.alloc(len * F32);
  pool.run("conv_dw_rows_task", [
    px,
    pdy,
    pdw,
    ...g,
    scratch,
    scratchFloats,
    Math.max(4, Math.ceil(filterRows / (pool.threads * 4) / 4) * 4),
  ]);
  pool.copyOut(pdw, heapBuffer(backend), heapOffset(backend, dw), len * F32);
}

/** dx [N, H, W, Cin] of a conv2d from dy [N, OH, OW, Cout] and the filter. */
export function runConv2dBackpropInput(
  backend: WasmBackendLike,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  g: ConvGeometry,
  dx: tf.TensorInfo,
): void {
  const [kh, kw, cin, cout] = [g[G.kh], g[G.kw], g[G.cin], g[G.cout]];
  const pool = poolFor(g);
  if (pool === null) {
    const simd = simdFor(backend);
    const scratch = simd.scratch(
      simd.exports.conv2d_backprop_input_scratch_floats(cin, cout, kh, kw),
    );
    simd.exports.conv2d_backprop_input(
      heapOffset(backend, dy),
      heapOffset(backend, filter),
      heapOffset(backend, dx),
      ...g,
      scratch,
    );
    return;
  }
  const heap = heapBuffer(backend);
  pool.reset();
  const pdy = pool.copyIn(heap, heapOffset(backend, dy), sizeOf(dy.shape) * F32);
  const pw = pool.copyIn(heap, heapOffset(backend, filter), sizeOf(filter.shape) * F32);
  const len = sizeOf(dx.shape);
  const pdx = pool.alloc(len * F32);
  const packed = pool.alloc(
    pool.exports.conv2d_backprop_input_scratch_floats(cin, cout, kh, kw) * F32,
  );
  const scratchFloats = pool.exports.conv_dx_task_scratch_floats(cin, cout, kh, kw);
  const scratch = pool.alloc(pool.threads * scratchFloats * F32);
  pool.exports.conv_dx_pack(pw, packed, cin, cout, kh, kw);
  pool.run("conv_dx_task", [
    pdy,
    packed,
    pdx,
    ...g,
    scratch,
    scratchFloats,
    chunkOf(g[G.n], pool.threads, 1),
  ]);
  pool.copyOut(pdx, heapBuffer(backend), heapOffset(backend, dx), len * F32);
}

/** y [N, OH, OW, Cout] = conv2d(x, filter) (+ bias) (ReLU). */
export function runConv2dForward(
  backend: WasmBackendLike,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  bias: tf.TensorInfo | undefined,
  relu: boolean,
  g: ConvGeometry,
  y: tf.TensorInfo,
): void {
  const [kh, kw, cin, cout] = [g[G.kh], g[G.kw], g[G.cin], g[G.cout]];
  const pool = poolFor(g);
  if (pool === null) {
    const simd = simdFor(backend);
    const scratch = simd.scratch(simd.exports.conv2d_forward_scratch_floats(cin, cout, kh, kw));
    simd.exports.conv2d_forward(
      heapOffset(backend, x),
      heapOffset(backend, filter),
      bias === undefined ? 0 : heapOffset(backend, bias),
      relu ? 1 : 0,
      heapOffset(backend, y),
      ...g,
      scratch,
    );
    return;
  }
  const heap = heapBuffer(backend);
  pool.reset();
  const px = pool.copyIn(heap, heapOffset(backend, x), sizeOf(x.shape) * F32);
  const pw = pool.copyIn(heap, heapOffset(backend, filter), sizeOf(filter.shape) * F32);
  const pb = bias === undefined ? 0 : pool.copyIn(heap, heapOffset(backend, bias), cout * F32);
  const len = sizeOf(y.shape);
  const py = pool.alloc(len * F32);
  const packed = pool.alloc(pool.exports.conv_fwd_packed_floats(cin, cout, kh, kw) * F32);
  const scratchFloats = pool.exports.conv_fwd_task_scratch_floats();
  const scratch = pool.alloc(pool.threads * scratchFloats * F32);
  pool.exports.conv_fwd_pack(pw, packed, cin, cout, kh, kw);
  const positions = g[G.n] * g[G.oh] * g[G.ow];
  pool.run("conv_fwd_task", [
    px,
    packed,
    pb,
    relu ? 1 : 0,
    py,
    ...g,
    scratch,
    scratchFloats,
    chunkOf(positions, pool.threads, 128),
  ]);
  pool.copyOut(py, heapBuffer(backend), heapOffset(backend, y), len * F32);
}
