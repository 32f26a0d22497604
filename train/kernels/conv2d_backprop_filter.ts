/**
 * Conv2DBackpropFilter built from forward ops that XNNPACK runs fast (the tfjs wasm backend
 * has no kernel for it at all).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { asTensor, convGeometry, type ConvPad, padOrCropHw } from "./conv_geometry.ts";

/**
 * Gradient of conv2d (NHWC, dilation 1) with respect to its filter.
 *
 * dW[kh, kw, ci, co] = sum over n, oh, ow of x[n, oh*s + kh - padTop, ow*s + kw - padLeft, ci]
 * * dy[n, oh, ow, co]. That is itself a convolution of x with dy as the filter once batch and
 * channels swap roles ("batch as channels"), dilated by the forward stride.
 *
 * @param x forward input [N, H, W, Cin]
 * @param dy gradient of the forward output [N, OH, OW, Cout]
 * @param filterShape [KH, KW, Cin, Cout]
 * @returns dW [KH, KW, Cin, Cout]
 */
export function conv2dBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: ConvPad,
  dimRoundingMode?: "floor" | "round" | "ceil",
): tf.Tensor4D {
  return tf.tidy(() => {
    const g = convGeometry(x.shape, filterShape, strides, pad, dimRoundingMode, false);
    const [kh, kw] = filterShape;
    // Rows/cols the forward pass actually read: padding added, unread trailing input cropped.
    const needH = (g.outHeight - 1) * g.strideHeight + kh;
    const needW = (g.outWidth - 1) * g.strideWidth + kw;
    const xp = padOrCropHw(
      x,
      g.padTop,
      needH - g.inHeight - g.padTop,
      g.padLeft,
      needW - g.inWidth - g.padLeft,
    ); // [N, needH, needW, Cin]
    const xT = tf.transpose(xp, [3, 1, 2, 0]); // [Cin, needH, needW, N]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, N, Cout] used as the filter
    const dwT = tf.conv2d(xT, dyT, 1, "valid", "NHWC", [g.strideHeight, g.strideWidth]);
    return tf.transpose(dwT, [1, 2, 0, 3]); // [Cin, KH, KW, Cout] -> [KH, KW, Cin, Cout]
  });
}

/** tfjs kernel config: Conv2DBackpropFilter for the wasm backend. */
export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: "wasm",
  kernelFunc: ({ inputs, attrs }) => {
    const { x, dy } = inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (a.dataFormat === "NCHW") {
      throw new TypeError("Conv2DBackpropFilter (wasm): only NHWC is supported");
    }
    return conv2dBackpropFilter(
      asTensor<tf.Tensor4D>(x),
      asTensor<tf.Tensor4D>(dy),
      a.filterShape as [number, number, number, number],
      a.strides,
      a.pad,
      a.dimRoundingMode,
    );
  },
};
