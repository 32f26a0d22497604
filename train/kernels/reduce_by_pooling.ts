/**
 * Sum and Mean over leading or middle axes for the wasm backend, as an XNNPACK average pool.
 *
 * The wasm reductions transpose the reduced axes to the end first; for the [N, H, W, C]
 * reductions over N, H, W that BatchNorm (forward moments and backward) and conv bias
 * gradients need, that costs ~25 ms for [128, 32, 32, 32], against ~1 ms for an average pool
 * whose window covers the reduced axes (channels stay innermost, so it streams). A matmul
 * with ones is no better: wasm's BatchMatMul repacks its right operand on every call.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { asTensor } from "./conv_geometry.ts";

/**
 * Reduces float32 `x` over `axis` (sum, or mean when `mean`) with one average pool, or returns
 * null when that does not apply (non-contiguous axes, or axes already innermost, which wasm
 * reduces fast itself).
 */
export function reduceByPooling(
  x: tf.Tensor,
  axis: number | number[] | null | undefined,
  keepDims: boolean,
  mean: boolean,
): tf.Tensor | null {
  if (x.dtype !== "float32" || x.size === 0) return null;
  // null/undefined axis means every axis, like the op.
  const axes = [...new Set(tf.util.parseAxisParam(axis ?? [...x.shape.keys()], x.shape))].sort((
    a,
    b,
  ) => a - b);
  if (axes.length === 0) return null;
  const first = axes[0];
  const last = axes[axes.length - 1];
  if (last - first + 1 !== axes.length || last === x.rank - 1) return null;
  const prod = (dims: number[]) => dims.reduce((p, d) => p * d, 1);
  const outer = prod(x.shape.slice(0, first));
  const reduced = prod(x.shape.slice(first, last + 1));
  const rest = prod(x.shape.slice(last + 1));
  const outShape = keepDims
    ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d))
    : x.shape.filter((_, i) => i < first || i > last);
  return tf.tidy(() => {
    // [outer, R, 1, rest]: the window spans the reduced axes, `rest` are the channels.
    const x4 = tf.reshape(x, [outer, reduced, 1, rest]) as tf.Tensor4D;
    const avg = tf.avgPool(x4, [reduced, 1], 1, "valid"); // [outer, 1, 1, rest]
    return tf.reshape(mean ? avg : tf.mul(avg, reduced), outShape);
  });
}

/** tfjs kernel config wrapping wasm's Sum or Mean (`fallback`) with reduceByPooling. */
export function reduceConfig(fallback: tf.KernelConfig): tf.KernelConfig {
  const mean = fallback.kernelName === tf.Mean;
  if (!mean && fallback.kernelName !== tf.Sum) {
    throw new TypeError(`reduceConfig wraps Sum or Mean, not ${fallback.kernelName}`);
  }
  return {
    kernelName: fallback.kernelName,
    backendName: "wasm",
    setupFunc: fallback.setupFunc,
    kernelFunc: (args) => {
      const { x } = args.inputs as unknown as { x: tf.TensorInfo };
      const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
      return reduceByPooling(asTensor(x), axis, keepDims, mean) ?? fallback.kernelFunc(args);
    },
  };
}
