/**
 * The adamwUpdate kernel (train/adamw_update.ts) on the tfjs-wasm heap: csrc/adamw.c reads p,
 * g, m, v and writes three new tensors in one pass.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { ADAMW_UPDATE, type AdamWUpdateAttrs } from "../adamw_update.ts";
import { asWasmBackend, heapOffset, simdFor } from "./wasm_heap.ts";

/** tfjs kernel config: adamwUpdate on the wasm heap (adamwUpdate checks dtypes and shapes). */
export function adamwSimdConfig(): tf.KernelConfig {
  return {
    kernelName: ADAMW_UPDATE,
    backendName: "wasm",
    kernelFunc: (args) => {
      const { p, g, m, v } = args.inputs as unknown as Record<string, tf.TensorInfo>;
      const a = args.attrs as unknown as AdamWUpdateAttrs;
      const backend = asWasmBackend(args.backend);
      const simd = simdFor(backend);
      const shape = [...p.shape];
      const pOut = backend.makeOutput(shape, "float32");
      const mOut = backend.makeOutput(shape, "float32");
      const vOut = backend.makeOutput(shape, "float32");
      simd.exports.adamw_update(
        heapOffset(backend, p),
        heapOffset(backend, g),
        heapOffset(backend, m),
        heapOffset(backend, v),
        shape.reduce((x, y) => x * y, 1),
        a.decay,
        a.beta1,
        a.oneMinusBeta1,
        a.beta2,
        a.oneMinusBeta2,
        a.bc2Sqrt,
        a.eps,
        a.stepSize,
        heapOffset(backend, pOut),
        heapOffset(backend, mOut),
        heapOffset(backend, vOut),
      );
      return [pOut, mOut, vOut];
    },
  };
}
