/**
 * Loads edgeclass's SIMD WebAssembly module (built from csrc/ by scripts/build_wasm.sh) onto a
 * given linear memory, normally the tfjs-wasm backend's heap, so kernels read and write
 * tensors in place.
 *
 * The module owns no memory: it has no data section (checked here, since active data segments
 * would overwrite the host's heap) and its shadow stack is moved into a block from the host's
 * `malloc`.
 *
 * @module
 */

/** Where the build script writes the module. */
export const SIMD_WASM_URL = new URL("../../.cache/edgeclass_simd.wasm", import.meta.url);

/** A linear memory plus the allocator that owns it (tfjs-wasm's `_malloc`/`_free`). */
export interface SimdHeap {
  memory: WebAssembly.Memory;
  /** Returns a byte offset of at least `bytes` bytes, 16-byte aligned. */
  malloc(bytes: number): number;
  free(ptr: number): void;
}

/** The C entry points (pointers are byte offsets into the heap; see csrc/ for contracts). */
export interface SimdExports {
  sgemm_scratch_floats(): number;
  /** C[m x n] (+)= op(A) op(B), row-major; transA means A is stored [k x m]. */
  sgemm(
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    transA: number,
    b: number,
    ldb: number,
    transB: number,
    c: number,
    ldc: number,
    accumulate: number,
    scratch: number,
  ): void;
  conv2d_backprop_filter_scratch_floats(): number;
  /** (x, dy, dw, n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, padTop, padLeft, scratch) */
  conv2d_backprop_filter(...args: number[]): void;
  conv2d_backprop_input_scratch_floats(cin: number, cout: number, kh: number, kw: number): number;
  /** (dy, filter, dx, n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, padTop, padLeft, scratch) */
  conv2d_backprop_input(...args: number[]): void;
  /** (x, dy, dx, n, h, w, c, oh, ow, fh, fw, sh, sw, padTop, padLeft) */
  max_pool_grad(...args: number[]): void;
  depthwise_backprop_filter_scratch_floats(c: number, kh: number, kw: number): number;
  /** (x, dy, dw, n, h, w, c, oh, ow, c, kh, kw, sh, sw, padTop, padLeft, scratch); multiplier 1 */
  depthwise_backprop_filter(...args: number[]): void;
  /** (dy, filter, dx, n, h, w, c, oh, ow, c, kh, kw, sh, sw, padTop, padLeft); multiplier 1 */
  depthwise_backprop_input(...args: number[]): void;
  conv2d_forward_scratch_floats(cin: number, cout: number, kh: number, kw: number): number;
  /** (x, filter, bias or 0, relu, y, n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, top, left, scratch) */
  conv2d_forward(...args: number[]): void;
  // Threaded build (csrc/threaded_tasks.c); tasks take (ctl, ...args, thread).
  /** (x, dy, dw, n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, top, left, parts, slotPositions,
   * scratch): dW as the ordered sum of fixed slots (see dwSlotPositions). */
  conv2d_backprop_filter_slots(...args: number[]): void;
  /** dw[i] = sum over s in order of parts[s * partFloats + i], for i < len. */
  sum_slots(dw: number, parts: number, partFloats: number, len: number, slots: number): void;
  conv_dw_slot_task(...args: number[]): void;
  conv_dw_rows_task(...args: number[]): void;
  /** c = act(c + bias) row by row; bias may be 0. */
  bias_activation(c: number, rows: number, cols: number, bias: number, relu: number): void;
  conv_dx_pack(wt: number, bp: number, cin: number, cout: number, kh: number, kw: number): void;
  conv_dx_task_scratch_floats(cin: number, cout: number, kh: number, kw: number): number;
  conv_dx_task(...args: number[]): void;
  conv_fwd_pack(wt: number, bp: number, cin: number, cout: number, kh: number, kw: number): void;
  conv_fwd_packed_floats(cin: number, cout: number, kh: number, kw: number): number;
  conv_fwd_task_scratch_floats(): number;
  conv_fwd_task(...args: number[]): void;
  batch_norm_scratch_floats(cols: number): number;
  /** (x, gamma, beta, rows, cols, eps, y, mean, variance, scratch) */
  batch_norm_train_forward(...args: number[]): void;
  /** (dy, x, gamma, mean, variance, dmean, dvariance, rows, cols, eps, dx, dgamma, dbeta, scratch) */
  batch_norm_train_backward(...args: number[]): void;
  /**
   * (p, g, m, v, n, decay, beta1, 1-beta1, beta2, 1-beta2, bc2Sqrt, eps, stepSize, pOut, mOut,
   * vOut): one AdamW step over n floats into new buffers (csrc/adamw.c).
   */
  adamw_update(...args: number[]): void;
  /** out[j] = scale * sum_i x[i*cols + j]; scratch holds cols floats. */
  sum_leading(
    x: number,
    out: number,
    rows: number,
    cols: number,
    scale: number,
    scratch: number,
  ): void;
}

const STACK_BYTES = 64 * 1024;

/** Compiled modules by URL; each heap gets its own instance. */
const compiled = new Map<string, WebAssembly.Module>();

/** Reads and compiles the .wasm once; throws an Error naming the build command if missing. */
export function compileSimdModule(url: URL = SIMD_WASM_URL): WebAssembly.Module {
  const cached = compiled.get(url.href);
  if (cached !== undefined) return cached;
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(url);
  } catch (err) {
    throw new Error(
      `SIMD kernels: cannot read ${url.pathname} (${(err as Error).message}); ` +
        "build it with `deno task build:wasm` (needs apt packages clang lld)",
    );
  }
  if (wasmSectionIds(bytes).includes(11)) {
    throw new Error(`SIMD kernels: ${url.pathname} has a data section; it would clobber the heap`);
  }
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  compiled.set(url.href, module);
  return module;
}

/** Section ids of a wasm binary, in order (parses only the section headers). */
export function wasmSectionIds(bytes: Uint8Array): number[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73) {
    throw new TypeError("not a WebAssembly binary");
  }
  const ids: number[] = [];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at++];
    let size = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = bytes[at++];
      size += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    ids.push(id);
    at += size;
  }
  return ids;
}

/**
 * Points an instance's shadow stack (it grows down) at `top`, 16-byte aligned. The linker's
 * default would put it at the start of the imported memory, i.e. in someone else's data.
 */
export function setStackPointer(instance: WebAssembly.Instance, top: number): void {
  const sp = instance.exports["__stack_pointer"];
  if (!(sp instanceof WebAssembly.Global)) {
    throw new TypeError("SIMD kernels: module does not export __stack_pointer");
  }
  sp.value = top & ~15;
}

/** One instance of the module bound to one heap, with a reusable scratch block. */
export class SimdModule {
  readonly heap: SimdHeap;
  readonly exports: SimdExports;
  #stack: number;
  #scratch = 0;
  #scratchBytes = 0;

  constructor(heap: SimdHeap, module: WebAssembly.Module = compileSimdModule()) {
    this.heap = heap;
    const instance = new WebAssembly.Instance(module, { env: { memory: heap.memory } });
    this.exports = instance.exports as unknown as SimdExports;
    this.#stack = heap.malloc(STACK_BYTES);
    if (this.#stack === 0) throw new RangeError("SIMD kernels: could not allocate a stack");
    setStackPointer(instance, this.#stack + STACK_BYTES);
  }

  /** A byte offset with room for `floats` float32s, valid until the next call. */
  scratch(floats: number): number {
    const bytes = floats * 4;
    if (bytes > this.#scratchBytes) {
      if (this.#scratch !== 0) this.heap.free(this.#scratch);
      // Grow geometrically so a run of growing layers does not reallocate each time.
      this.#scratchBytes = Math.max(bytes, Math.ceil(this.#scratchBytes * 1.5));
      this.#scratch = this.heap.malloc(this.#scratchBytes);
      if (this.#scratch === 0) {
        this.#scratchBytes = 0;
        throw new RangeError(`SIMD kernels: could not allocate ${bytes} bytes of scratch`);
      }
    }
    return this.#scratch;
  }

  /** Frees the stack and scratch blocks; the instance must not be used afterwards. */
  dispose(): void {
    if (this.#scratch !== 0) this.heap.free(this.#scratch);
    this.heap.free(this.#stack);
    this.#scratch = 0;
    this.#scratchBytes = 0;
  }
}

/**
 * A heap of its own (a fresh Memory with a bump allocator, `free` is a no-op), for tests and
 * micro-benchmarks that run the C code without tfjs.
 */
export function standaloneHeap(bytes: number): SimdHeap {
  const pages = Math.ceil(bytes / 65536) + 4;
  const memory = new WebAssembly.Memory({ initial: pages });
  let top = 65536; // leave page 0 unused so offset 0 stays an invalid pointer
  return {
    memory,
    malloc(n: number): number {
      const ptr = top;
      top = (top + n + 15) & ~15;
      if (top > memory.buffer.byteLength) {
        memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
      }
      return ptr;
    },
    free() {},
  };
}
