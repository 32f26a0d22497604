/**
 * Reaching into the tfjs-wasm backend from a kernel: its heap (memory + allocator), a
 * tensor's byte offset, and the SIMD module instance bound to that heap.
 *
 * Only structural types are used, because train/backend.ts is the one file in train/ allowed
 * to import the wasm backend package.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type SimdHeap, SimdModule } from "./simd_module.ts";

/** The parts of tfjs-backend-wasm's BackendWasm (4.22) that the SIMD kernels use. */
export interface WasmBackendLike {
  wasm: {
    asm: { memory: WebAssembly.Memory };
    _malloc(bytes: number): number;
    _free(ptr: number): void;
  };
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/** Narrows a kernel's `backend` argument, with an Error if it is not the wasm backend. */
export function asWasmBackend(backend: unknown): WasmBackendLike {
  const b = backend as Partial<WasmBackendLike> | undefined;
  if (
    b?.wasm?.asm?.memory instanceof WebAssembly.Memory && typeof b.getMemoryOffset === "function"
  ) {
    return b as WasmBackendLike;
  }
  throw new TypeError("SIMD kernels: backend is not tfjs-backend-wasm (no wasm.asm.memory)");
}

const modules = new WeakMap<WebAssembly.Memory, SimdModule>();

/** The SIMD module instance on `backend`'s heap, created on first use. */
export function simdFor(backend: WasmBackendLike): SimdModule {
  const memory = backend.wasm.asm.memory;
  let module = modules.get(memory);
  if (module === undefined) {
    const heap: SimdHeap = {
      memory,
      // emscripten's malloc returns a signed int32 for offsets above 2 GiB.
      malloc: (bytes) => backend.wasm._malloc(bytes) >>> 0,
      free: (ptr) => backend.wasm._free(ptr),
    };
    module = new SimdModule(heap);
    modules.set(memory, module);
  }
  return module;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: WasmBackendLike, info: tf.TensorInfo): number {
  return backend.getMemoryOffset(info.dataId);
}
