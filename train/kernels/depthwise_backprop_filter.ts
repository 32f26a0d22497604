/**
 * DepthwiseConv2dNativeBackpropFilter from strided slices and reductions (missing from the
 * tfjs wasm backend).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { asTensor, convGeometry, type ConvPad, padOrCropHw } from "./conv_geometry.ts";
import { assertUnitDilation } from "./depthwise_backprop_input.ts";

/**
 * Gradient of depthwiseConv2d (NHWC, dilation 1) with respect to its filter.
 *
 * dW[kh, kw, c, j] = sum over n, oh, ow of x[n, oh*s + kh - padTop, ow*s + kw - padLeft, c]
 * * dy[n, oh, ow, c*M + j]: one strided slice, multiply and reduction per filter tap. Depthwise
 * filters are small (3x3, 5x5), so the KH*KW elementwise passes cost about as much as the
 * forward pass and need no extra memory beyond one slice.
 *
 * @param x forward input [N, H, W, C]
 * @param dy gradient of the forward output [N, OH, OW, C*M]
 * @param filterShape [KH, KW, C, M]
 * @returns dW [KH, KW, C, M]
 */
export function depthwiseBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: ConvPad,
  dimRoundingMode?: "floor" | "round" | "ceil",
): tf.Tensor4D {
  return tf.tidy(() => {
    const g = convGeometry(x.shape, filterShape, strides, pad, dimRoundingMode, true);
    const [kh, kw, c, m] = filterShape;
    const needH = (g.outHeight - 1) * g.strideHeight + kh;
    const needW = (g.outWidth - 1) * g.strideWidth + kw;
    const xp = padOrCropHw(
      x,
      g.padTop,
      needH - g.inHeight - g.padTop,
      g.padLeft,
      needW - g.inWidth - g.padLeft,
    ); // [N, needH, needW, C]
    // Every (n, c) pair becomes its own depthwise channel; dy is the (dilated) filter.
    const xr = tf.reshape(tf.transpose(xp, [1, 2, 0, 3]), [
      1,
      needH,
      needW,
      g.batch * c,
    ]) as tf.Tensor4D;
    const dyr = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [
      g.outHeight,
      g.outWidth,
      g.batch * c,
      m,
    ]) as tf.Tensor4D;
    const perSample = tf.depthwiseConv2d(xr, dyr, 1, "valid", "NHWC", [
      g.strideHeight,
      g.strideWidth,
    ]); // [1, KH, KW, N*C*M]
    return tf.sum(tf.reshape(perSample, [kh, kw, g.batch, c, m]), 2) as tf.Tensor4D;
  });
}

/** tfjs kernel config: DepthwiseConv2dNativeBackpropFilter for the wasm backend. */
export const depthwiseBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: "wasm",
  kernelFunc: ({ inputs, attrs }) => {
    const { x, dy } = inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
    assertUnitDilation(a.dilations, "DepthwiseConv2dNativeBackpropFilter");
    return depthwiseBackpropFilter(
      asTensor<tf.Tensor4D>(x),
      asTensor<tf.Tensor4D>(dy),
      a.filterShape as [number, number, number, number],
      a.strides,
      a.pad,
      a.dimRoundingMode,
    );
  },
};
