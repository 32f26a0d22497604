/**
 * DepthwiseConv2dNativeBackpropInput as a forward depthwise conv (missing from the tfjs wasm
 * backend).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { asTensor, convGeometry, type ConvPad } from "./conv_geometry.ts";
import { transposedConvByPhases } from "./transposed_conv.ts";

/**
 * Gradient of depthwiseConv2d (NHWC, dilation 1) with respect to its input.
 *
 * Same construction as conv2dBackpropInput, per channel: per stride phase, depthwise-convolve
 * padded dy with the spatially flipped filter taps of that phase. A channel multiplier M > 1
 * is handled by treating the C*M output channels as separate depthwise channels and summing
 * each input channel's M results.
 *
 * @param dy gradient of the forward output [N, OH, OW, C*M]
 * @param filter forward filter [KH, KW, C, M]
 * @param inputShape forward input shape [N, H, W, C]
 * @returns dx [N, H, W, C]
 */
export function depthwiseBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: ConvPad,
  dimRoundingMode?: "floor" | "round" | "ceil",
): tf.Tensor4D {
  return tf.tidy(() => {
    const g = convGeometry(inputShape, filter.shape, strides, pad, dimRoundingMode, true);
    const [, , c, m] = filter.shape;
    const correlate = (x: tf.Tensor4D, sub: tf.Tensor4D) => {
      const [th, tw] = sub.shape;
      const perOut = tf.depthwiseConv2d(x, tf.reshape(sub, [th, tw, c * m, 1]), 1, "valid");
      if (m === 1) return perOut; // [N, H', W', C]
      const [n, h, w] = perOut.shape;
      return tf.sum(tf.reshape(perOut, [n, h, w, c, m]), 4) as tf.Tensor4D;
    };
    return transposedConvByPhases(dy, filter, g, correlate, c);
  });
}

/** tfjs kernel config: DepthwiseConv2dNativeBackpropInput for the wasm backend. */
export const depthwiseBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: "wasm",
  kernelFunc: ({ inputs, attrs }) => {
    const { dy, filter } = inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
    assertUnitDilation(a.dilations, "DepthwiseConv2dNativeBackpropInput");
    return depthwiseBackpropInput(
      asTensor<tf.Tensor4D>(dy),
      asTensor<tf.Tensor4D>(filter),
      a.inputShape as [number, number, number, number],
      a.strides,
      a.pad,
      a.dimRoundingMode,
    );
  },
};

/** tfjs's own depthwise gradient rejects dilation > 1; so do we, loudly. */
export function assertUnitDilation(dilations: [number, number] | number, kernel: string): void {
  const [dh, dw] = typeof dilations === "number" ? [dilations, dilations] : dilations;
  if (dh !== 1 || dw !== 1) {
    throw new RangeError(`${kernel} (wasm): dilations ${dh}x${dw} are not supported`);
  }
}
