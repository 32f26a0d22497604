/**
 * Conv2D, FusedConv2D (linear/ReLU), Conv2DBackpropFilter and Conv2DBackpropInput for the tfjs
 * wasm backend on the SIMD GEMMs of csrc/ (see conv2d_runners.ts for in place vs pooled).
 * Anything else (NCHW, dilations, other activations, non-float32) goes to the kernel that was
 * registered before.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { convGeometry } from "./conv2d_geometry.ts";
import {
  runConv2dBackpropFilter,
  runConv2dBackpropInput,
  runConv2dForward,
} from "./conv2d_runners.ts";
import { asWasmBackend } from "./wasm_heap.ts";

function allFloat32(...infos: (tf.TensorInfo | undefined)[]): boolean {
  return infos.every((t) => t === undefined || t.dtype === "float32");
}

function fallbackOrThrow(
  fallback: tf.KernelConfig | undefined,
  name: string,
): (args: Parameters<tf.KernelFunc>[0]) => ReturnType<tf.KernelFunc> {
  return (args) => {
    if (fallback === undefined) {
      throw new TypeError(`${name} (wasm SIMD): only NHWC float32, dilation 1 is supported`);
    }
    return fallback.kernelFunc(args);
  };
}

/** tfjs kernel config: Conv2D (forward) on the SIMD GEMM. */
export function conv2dSimdConfig(fallback: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.Conv2D,
    backendName: "wasm",
    setupFunc: fallback.setupFunc,
    kernelFunc: (args) => {
      const { x, filter } = args.inputs as unknown as { x: tf.TensorInfo; filter: tf.TensorInfo };
      const a = args.attrs as unknown as tf.Conv2DAttrs;
      const g = a.dataFormat === "NCHW" || !allFloat32(x, filter)
        ? null
        : convGeometry(x.shape, filter.shape, a.strides, a.pad, a.dimRoundingMode, a.dilations);
      if (g === null) return fallback.kernelFunc(args);
      const backend = asWasmBackend(args.backend);
      const y = backend.makeOutput([g[0], g[4], g[5], g[6]], "float32");
      runConv2dForward(backend, x, filter, undefined, false, g, y);
      return y;
    },
  };
}

/** tfjs kernel config: FusedConv2D with bias and linear/ReLU activation on the SIMD GEMM. */
export function fusedConv2dSimdConfig(fallback: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.FusedConv2D,
    backendName: "wasm",
    setupFunc: fallback.setupFunc,
    kernelFunc: (args) => {
      const { x, filter, bias, preluActivationWeights } = args.inputs as unknown as {
        x: tf.TensorInfo;
        filter: tf.TensorInfo;
        bias?: tf.TensorInfo;
        preluActivationWeights?: tf.TensorInfo;
      };
      const a = args.attrs as unknown as tf.FusedConv2DAttrs;
      const activation = a.activation ?? "linear";
      const ok = a.dataFormat !== "NCHW" && allFloat32(x, filter, bias) &&
        (activation === "linear" || activation === "relu") &&
        preluActivationWeights == null &&
        (bias == null || tf.util.sizeFromShape(bias.shape) === filter.shape[3]);
      const g = ok
        ? convGeometry(x.shape, filter.shape, a.strides, a.pad, a.dimRoundingMode, a.dilations)
        : null;
      if (g === null) return fallback.kernelFunc(args);
      const backend = asWasmBackend(args.backend);
      const y = backend.makeOutput([g[0], g[4], g[5], g[6]], "float32");
      runConv2dForward(backend, x, filter, bias ?? undefined, activation === "relu", g, y);
      return y;
    },
  };
}

/** tfjs kernel config: Conv2DBackpropFilter on the SIMD GEMM. */
export function conv2dBackpropFilterSimdConfig(fallback?: tf.KernelConfig): tf.KernelConfig {
  const other = fallbackOrThrow(fallback, tf.Conv2DBackpropFilter);
  return {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: "wasm",
    setupFunc: fallback?.setupFunc,
    kernelFunc: (args) => {
      const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      const g = a.dataFormat === "NCHW" || !allFloat32(x, dy)
        ? null
        : convGeometry(x.shape, a.filterShape, a.strides, a.pad, a.dimRoundingMode);
      if (g === null) return other(args);
      const backend = asWasmBackend(args.backend);
      const dw = backend.makeOutput([...a.filterShape], "float32");
      runConv2dBackpropFilter(backend, x, dy, g, dw);
      return dw;
    },
  };
}

/** tfjs kernel config: Conv2DBackpropInput on the SIMD GEMM. */
export function conv2dBackpropInputSimdConfig(fallback?: tf.KernelConfig): tf.KernelConfig {
  const other = fallbackOrThrow(fallback, tf.Conv2DBackpropInput);
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName: "wasm",
    setupFunc: fallback?.setupFunc,
    kernelFunc: (args) => {
      const { dy, filter } = args.inputs as unknown as {
        dy: tf.TensorInfo;
        filter: tf.TensorInfo;
      };
      const a = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
      const g = a.dataFormat === "NCHW" || !allFloat32(dy, filter)
        ? null
        : convGeometry(a.inputShape, filter.shape, a.strides, a.pad, a.dimRoundingMode);
      if (g === null) return other(args);
      const backend = asWasmBackend(args.backend);
      const dx = backend.makeOutput([...a.inputShape], "float32");
      runConv2dBackpropInput(backend, dy, filter, g, dx);
      return dx;
    },
  };
}
