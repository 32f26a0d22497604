/**
 * MaxPoolGrad for the tfjs wasm backend (whose own kernel is a scalar loop), computed in place
 * by csrc/max_pool_grad.c with the CPU backend's tie rule.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { asWasmBackend, heapOffset, simdFor } from "./wasm_heap.ts";

/** tfjs kernel config: MaxPoolGrad on the wasm heap; non-float32 goes to `fallback`. */
export function maxPoolGradSimdConfig(fallback?: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.MaxPoolGrad,
    backendName: "wasm",
    setupFunc: fallback?.setupFunc,
    kernelFunc: (args) => {
      const { dy, input } = args.inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
      const a = args.attrs as unknown as tf.MaxPoolGradAttrs;
      if (dy.dtype !== "float32" || input.dtype !== "float32") {
        if (fallback === undefined) {
          throw new TypeError("MaxPoolGrad (wasm SIMD): only float32 is supported");
        }
        return fallback.kernelFunc(args);
      }
      const backend = asWasmBackend(args.backend);
      const info = tf.backend_util.computePool2DInfo(
        input.shape as [number, number, number, number],
        a.filterSize,
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode,
      );
      const dx = backend.makeOutput([...input.shape], "float32");
      simdFor(backend).exports.max_pool_grad(
        heapOffset(backend, input),
        heapOffset(backend, dy),
        heapOffset(backend, dx),
        info.batchSize,
        info.inHeight,
        info.inWidth,
        info.inChannels,
        info.outHeight,
        info.outWidth,
        info.filterHeight,
        info.filterWidth,
        info.strideHeight,
        info.strideWidth,
        info.padInfo.top,
        info.padInfo.left,
      );
      return dx;
    },
  };
}
