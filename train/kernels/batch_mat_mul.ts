/**
 * BatchMatMul for the wasm backend without the slow transposed paths.
 *
 * The wasm BatchMatMul kernel is fast for plain a @ b (XNNPACK) but 10-50x slower when asked
 * to transpose an operand (a [128, 2048]^T @ dy [128, 256]: 600 ms vs 15 ms), which is exactly
 * what every Dense layer's backward pass asks for. Transposing explicitly first is cheap.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { asTensor } from "./conv_geometry.ts";

/** Swaps the last two axes of `x`. */
function transposeLastTwo(x: tf.Tensor): tf.Tensor {
  const perm = [...x.shape.keys()];
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return tf.transpose(x, perm);
}

/**
 * tfjs kernel config: BatchMatMul for wasm; transposed operands are materialized and the
 * product runs through `fallback` (the backend's own kernel) untransposed.
 */
export function batchMatMulConfig(fallback: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName: "wasm",
    setupFunc: fallback.setupFunc,
    kernelFunc: (args) => {
      const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
      if (!transposeA && !transposeB) return fallback.kernelFunc(args);
      const { a, b } = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
      return tf.tidy(() => {
        const at = transposeA ? transposeLastTwo(asTensor(a)) : asTensor(a);
        const bt = transposeB ? transposeLastTwo(asTensor(b)) : asTensor(b);
        return tf.matMul(at, bt); // dispatches back here, untransposed
      });
    },
  };
}
