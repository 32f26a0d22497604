/**
 * The gradients of a depthwise convolution (EfficientNet-B0's 3x3 and 5x5 blocks) on the tfjs
 * wasm heap, computed in place by csrc/depthwise_backprop.c. The kernels they replace
 * (train/kernels/depthwise_backprop_*.ts) build each gradient from strided slices and
 * depthwise convolutions with huge filters: 330 of the 675 ms of an EfficientNet-B0 step
 * (64 px, batch 32) on our 2-core machine.
 *
 * Channel multiplier 1, float32 and dilation 1 only; anything else goes to the previous kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type ConvGeometry, convGeometry, type ConvPad, G } from "./conv2d_geometry.ts";
import { asWasmBackend, heapOffset, simdFor } from "./wasm_heap.ts";

/**
 * The C kernels' geometry (ConvGeometry, cout = C) of a multiplier-1, dilation-1 depthwise
 * convolution, or null for what they do not cover.
 */
export function depthwiseGeometry(
  xShape: readonly number[], // [N, H, W, C]
  filterShape: readonly number[], // [KH, KW, C, M]
  strides: [number, number] | number,
  pad: ConvPad,
  dimRoundingMode: "floor" | "round" | "ceil" | undefined,
  dilations: [number, number] | number,
): ConvGeometry | null {
  if (filterShape[3] !== 1) return null;
  return convGeometry(xShape, filterShape, strides, pad, dimRoundingMode, dilations, true);
}

function fallbackOr(
  fallback: tf.KernelConfig | undefined,
  name: string,
  args: Parameters<tf.KernelFunc>[0],
): tf.TensorInfo | tf.TensorInfo[] {
  if (fallback === undefined) {
    throw new RangeError(`${name} (wasm SIMD): only float32, multiplier 1, dilation 1`);
  }
  return fallback.kernelFunc(args);
}

/** tfjs kernel config: DepthwiseConv2dNativeBackpropFilter on the wasm heap. */
export function depthwiseBackpropFilterSimdConfig(fallback?: tf.KernelConfig): tf.KernelConfig {
  const name = tf.DepthwiseConv2dNativeBackpropFilter;
  return {
    kernelName: name,
    backendName: "wasm",
    setupFunc: fallback?.setupFunc,
    kernelFunc: (args) => {
      const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
      const g = x.dtype === "float32" && dy.dtype === "float32"
        ? depthwiseGeometry(
          x.shape,
          a.filterShape,
          a.strides,
          a.pad,
          a.dimRoundingMode,
          a.dilations,
        )
        : null;
      if (g === null) return fallbackOr(fallback, name, args);
      const backend = asWasmBackend(args.backend);
      const simd = simdFor(backend);
      const [c, kh, kw] = [g[G.cin], g[G.kh], g[G.kw]];
      const dw = backend.makeOutput([...a.filterShape], "float32");
      simd.exports.depthwise_backprop_filter(
        heapOffset(backend, x),
        heapOffset(backend, dy),
        heapOffset(backend, dw),
        ...g,
        simd.scratch(simd.exports.depthwise_backprop_filter_scratch_floats(c, kh, kw)),
      );
      return dw;
    },
  };
}

/** tfjs kernel config: DepthwiseConv2dNativeBackpropInput on the wasm heap. */
export function depthwiseBackpropInputSimdConfig(fallback?: tf.KernelConfig): tf.KernelConfig {
  const name = tf.DepthwiseConv2dNativeBackpropInput;
  return {
    kernelName: name,
    backendName: "wasm",
    setupFunc: fallback?.setupFunc,
    kernelFunc: (args) => {
      const { dy, filter } = args.inputs as unknown as {
        dy: tf.TensorInfo;
        filter: tf.TensorInfo;
      };
      const a = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
      const g = dy.dtype === "float32" && filter.dtype === "float32"
        ? depthwiseGeometry(
          a.inputShape,
          filter.shape,
          a.strides,
          a.pad,
          a.dimRoundingMode,
          a.dilations,
        )
        : null;
      if (g === null) return fallbackOr(fallback, name, args);
      const backend = asWasmBackend(args.backend);
      const dx = backend.makeOutput([...a.inputShape], "float32");
      simdFor(backend).exports.depthwise_backprop_input(
        heapOffset(backend, dy),
        heapOffset(backend, filter),
        heapOffset(backend, dx),
        ...g,
      );
      return dx;
    },
  };
}
