/**
 * Conv2DBackpropInput as a forward conv2d, replacing the wasm backend's scalar C++ loop
 * (about 15x slower than the forward conv it differentiates).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { asTensor, convGeometry, type ConvPad } from "./conv_geometry.ts";
import { transposedConvByPhases } from "./transposed_conv.ts";

/**
 * Gradient of conv2d (NHWC, dilation 1) with respect to its input.
 *
 * dx[n, ih, iw, ci] = sum over kh, kw, co of dy[n, oh, ow, co] * W[kh, kw, ci, co] where
 * ih = oh*s + kh - padTop: a stride-1 conv2d of padded dy with W flipped in space and in/out
 * swapped, done once per stride phase (see transposedConvByPhases).
 *
 * @param dy gradient of the forward output [N, OH, OW, Cout]
 * @param filter forward filter [KH, KW, Cin, Cout]
 * @param inputShape forward input shape [N, H, W, Cin]
 * @returns dx [N, H, W, Cin]
 */
export function conv2dBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: ConvPad,
  dimRoundingMode?: "floor" | "round" | "ceil",
): tf.Tensor4D {
  return tf.tidy(() => {
    const g = convGeometry(inputShape, filter.shape, strides, pad, dimRoundingMode, false);
    // Each phase's sub-filter [T, T', Cin, Cout] is used with in/out swapped.
    const correlate = (x: tf.Tensor4D, sub: tf.Tensor4D) =>
      tf.conv2d(x, tf.transpose(sub, [0, 1, 3, 2]) as tf.Tensor4D, 1, "valid");
    return transposedConvByPhases(dy, filter, g, correlate, filter.shape[2]);
  });
}

/**
 * tfjs kernel config: Conv2DBackpropInput for the wasm backend. NCHW goes to `fallback`
 * (the backend's own kernel).
 */
export function conv2dBackpropInputConfig(fallback?: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName: "wasm",
    setupFunc: fallback?.setupFunc,
    kernelFunc: (args) => {
      const { dy, filter } = args.inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const a = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
      if (a.dataFormat === "NCHW") {
        if (fallback === undefined) {
          throw new TypeError("Conv2DBackpropInput (wasm): only NHWC is supported");
        }
        return fallback.kernelFunc(args);
      }
      return conv2dBackpropInput(
        asTensor<tf.Tensor4D>(dy),
        asTensor<tf.Tensor4D>(filter),
        a.inputShape as [number, number, number, number],
        a.strides,
        a.pad,
        a.dimRoundingMode,
      );
    },
  };
}
