/**
 * BatchMatMul and _FusedMatMul (bias, linear/ReLU) for the tfjs wasm backend on the SIMD GEMM
 * (csrc/sgemm.c). The backend's BatchMatMul is fast only without transposes, but both matMul
 * gradients use one (a Dense layer's weight gradient [2048 x 128] x [128 x 256] took ~0.5 s),
 * and its fused forward ran at ~2 GMAC/s.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { asWasmBackend, heapOffset, simdFor } from "./wasm_heap.ts";

/** out = act(op(a) op(b) + bias) on the heap, or null when the shapes are not covered. */
function matMul(
  args: Parameters<tf.KernelFunc>[0],
  bias: tf.TensorInfo | undefined,
  relu: boolean,
): tf.TensorInfo | null {
  const { a, b } = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  if (a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length < 2) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const sizeA = tf.util.sizeFromShape(batchA);
  const sizeB = tf.util.sizeFromShape(batchB);
  // Equal batches pair up; a batch of one broadcasts. Anything else: the stock kernel.
  const sameBatch = sizeA === sizeB && tf.util.arraysEqual(batchA, batchB);
  if (k !== kb || !(sameBatch || sizeA === 1 || sizeB === 1)) return null;
  if (bias !== undefined && (bias.dtype !== "float32" || tf.util.sizeFromShape(bias.shape) !== n)) {
    return null; // only a per-column bias
  }
  const outBatch = sizeA >= sizeB ? batchA : batchB;
  const backend = asWasmBackend(args.backend);
  const simd = simdFor(backend);
  const out = backend.makeOutput([...outBatch, m, n], "float32");
  const scratch = simd.scratch(simd.exports.sgemm_scratch_floats());
  const pa = heapOffset(backend, a);
  const pb = heapOffset(backend, b);
  const pc = heapOffset(backend, out);
  const batches = Math.max(sizeA, sizeB);
  for (let i = 0; i < batches; i++) {
    simd.exports.sgemm(
      m,
      n,
      k,
      pa + (sizeA === 1 ? 0 : i * m * k * 4),
      transposeA ? m : k,
      transposeA ? 1 : 0,
      pb + (sizeB === 1 ? 0 : i * k * n * 4),
      transposeB ? k : n,
      transposeB ? 1 : 0,
      pc + i * m * n * 4,
      n,
      0,
      scratch,
    );
  }
  if (bias !== undefined || relu) {
    simd.exports.bias_activation(
      pc,
      batches * m,
      n,
      bias === undefined ? 0 : heapOffset(backend, bias),
      relu ? 1 : 0,
    );
  }
  return out;
}

/** tfjs kernel config: float32 BatchMatMul on the SIMD GEMM; other cases go to `fallback`. */
export function batchMatMulSimdConfig(fallback: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName: "wasm",
    setupFunc: fallback.setupFunc,
    kernelFunc: (args) => matMul(args, undefined, false) ?? fallback.kernelFunc(args),
  };
}

/** tfjs kernel config: _FusedMatMul with a per-column bias and linear/ReLU activation. */
export function fusedMatMulSimdConfig(fallback: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf._FusedMatMul,
    backendName: "wasm",
    setupFunc: fallback.setupFunc,
    kernelFunc: (args) => {
      const { bias, preluActivationWeights } = args.inputs as unknown as {
        bias?: tf.TensorInfo;
        preluActivationWeights?: tf.TensorInfo;
      };
      const activation = (args.attrs as unknown as tf._FusedMatMulAttrs).activation ?? "linear";
      const covered = preluActivationWeights == null &&
        (activation === "linear" || activation === "relu");
      return (covered ? matMul(args, bias ?? undefined, activation === "relu") : null) ??
        fallback.kernelFunc(args);
    },
  };
}
