/**
 * Sum and Mean over a tensor's leading axes for the tfjs wasm backend, whose kernels first
 * transpose the reduced axes to the end (a full copy; about 90 ms for the per-channel sums of
 * a [128, 32, 32, 32] BatchNorm gradient on our 2-core box).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { asWasmBackend, heapOffset, simdFor } from "./wasm_heap.ts";

/**
 * The [rows, cols] view of a reduction over `axis` of `shape` when the reduced axes are exactly
 * the leading ones (some but not all), else null. Size-1 axes are ignored either way.
 */
export function leadingReduction(
  shape: readonly number[],
  axis: number | number[] | undefined,
): { rows: number; cols: number } | null {
  if (shape.length === 0) return null;
  const axes = new Set(tf.util.parseAxisParam(axis as number | number[], [...shape]));
  let rows = 1;
  let cols = 1;
  let inRows = true;
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    if (axes.has(d)) {
      if (!inRows) return null;
      rows *= shape[d];
    } else {
      inRows = false;
      cols *= shape[d];
    }
  }
  // Reducing everything, or nothing but size-1 axes, has no transpose to save.
  if (cols === 1 || rows === 1) return null;
  return { rows, cols };
}

function reduceConfig(name: "Sum" | "Mean", fallback: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: name,
    backendName: "wasm",
    setupFunc: fallback.setupFunc,
    kernelFunc: (args) => {
      const { x } = args.inputs as unknown as { x: tf.TensorInfo };
      const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
      const view = x.dtype === "float32" ? leadingReduction(x.shape, axis) : null;
      if (view === null) return fallback.kernelFunc(args);
      const backend = asWasmBackend(args.backend);
      const simd = simdFor(backend);
      const axes = tf.util.parseAxisParam(axis, x.shape);
      const outShape = keepDims
        ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
        : x.shape.filter((_, i) => !axes.includes(i));
      const out = backend.makeOutput(outShape, "float32");
      const scale = name === "Mean" ? 1 / view.rows : 1;
      simd.exports.sum_leading(
        heapOffset(backend, x),
        heapOffset(backend, out),
        view.rows,
        view.cols,
        scale,
        simd.scratch(view.cols),
      );
      return out;
    },
  };
}

/** tfjs kernel config: Sum over leading axes on the wasm heap; other reductions -> fallback. */
export function sumSimdConfig(fallback: tf.KernelConfig): tf.KernelConfig {
  return reduceConfig(tf.Sum, fallback);
}

/** tfjs kernel config: Mean over leading axes on the wasm heap; other reductions -> fallback. */
export function meanSimdConfig(fallback: tf.KernelConfig): tf.KernelConfig {
  return reduceConfig(tf.Mean, fallback);
}
