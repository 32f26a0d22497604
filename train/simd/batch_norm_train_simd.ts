/**
 * The batchNormTrain kernels (batch_norm_train.ts) on the tfjs-wasm heap, computed in place by
 * csrc/batch_norm_train.c: two passes forward, two backward.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
  type BatchNormTrainAttrs,
} from "./batch_norm_train.ts";
import { asWasmBackend, heapOffset, simdFor } from "./wasm_heap.ts";

function float32(...infos: tf.TensorInfo[]): boolean {
  return infos.every((t) => t.dtype === "float32");
}

/** tfjs kernel config: batchNormTrain forward on the wasm heap. */
export function batchNormTrainSimdConfig(fallback?: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: BATCH_NORM_TRAIN,
    backendName: "wasm",
    kernelFunc: (args) => {
      const { x, gamma, beta } = args.inputs as unknown as Record<string, tf.TensorInfo>;
      const { epsilon } = args.attrs as unknown as BatchNormTrainAttrs;
      if (!float32(x, gamma, beta) && fallback !== undefined) return fallback.kernelFunc(args);
      const backend = asWasmBackend(args.backend);
      const simd = simdFor(backend);
      const cols = x.shape[x.shape.length - 1];
      const rows = tf.util.sizeFromShape(x.shape) / cols;
      const y = backend.makeOutput([...x.shape], "float32");
      const mean = backend.makeOutput([cols], "float32");
      const variance = backend.makeOutput([cols], "float32");
      simd.exports.batch_norm_train_forward(
        heapOffset(backend, x),
        heapOffset(backend, gamma),
        heapOffset(backend, beta),
        rows,
        cols,
        epsilon,
        heapOffset(backend, y),
        heapOffset(backend, mean),
        heapOffset(backend, variance),
        simd.scratch(simd.exports.batch_norm_scratch_floats(cols)),
      );
      return [y, mean, variance];
    },
  };
}

/** tfjs kernel config: batchNormTrain backward on the wasm heap. */
export function batchNormTrainGradSimdConfig(fallback?: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: BATCH_NORM_TRAIN_GRAD,
    backendName: "wasm",
    kernelFunc: (args) => {
      const t = args.inputs as unknown as Record<string, tf.TensorInfo>;
      const { epsilon } = args.attrs as unknown as BatchNormTrainAttrs;
      if (!float32(t.dy, t.x, t.gamma) && fallback !== undefined) return fallback.kernelFunc(args);
      const backend = asWasmBackend(args.backend);
      const simd = simdFor(backend);
      const cols = t.x.shape[t.x.shape.length - 1];
      const rows = tf.util.sizeFromShape(t.x.shape) / cols;
      const dx = backend.makeOutput([...t.x.shape], "float32");
      const dgamma = backend.makeOutput([cols], "float32");
      const dbeta = backend.makeOutput([cols], "float32");
      simd.exports.batch_norm_train_backward(
        heapOffset(backend, t.dy),
        heapOffset(backend, t.x),
        heapOffset(backend, t.gamma),
        heapOffset(backend, t.mean),
        heapOffset(backend, t.variance),
        heapOffset(backend, t.dmean),
        heapOffset(backend, t.dvariance),
        rows,
        cols,
        epsilon,
        heapOffset(backend, dx),
        heapOffset(backend, dgamma),
        heapOffset(backend, dbeta),
        simd.scratch(simd.exports.batch_norm_scratch_floats(cols)),
      );
      return [dx, dgamma, dbeta];
    },
  };
}
