/**
 * Shape helpers shared by the gradient kernels in this folder. All tensors are NHWC.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Convolution padding as tfjs attrs carry it. */
export type ConvPad = "valid" | "same" | number | tf.backend_util.ExplicitPadding;

/** Geometry of one 2-D convolution, resolved from tfjs attrs. */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/**
 * Resolves padding/strides the same way the tfjs forward kernels do, so gradients line up with
 * what the forward pass computed (TF "same" puts the odd pixel at bottom/right).
 */
export function convGeometry(
  xShape: [number, number, number, number], // [N, H, W, Cin]
  filterShape: [number, number, number, number], // [KH, KW, Cin, Cout or multiplier]
  strides: [number, number] | number,
  pad: ConvPad,
  dimRoundingMode: "floor" | "round" | "ceil" | undefined,
  depthwise: boolean,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    depthwise,
    "channelsLast",
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Pads (positive amounts) or crops (negative amounts) the H and W axes of `x` [N, H, W, C].
 */
export function padOrCropHw(
  x: tf.Tensor4D,
  top: number,
  bottom: number,
  left: number,
  right: number,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const cropTop = Math.max(0, -top);
  const cropBottom = Math.max(0, -bottom);
  const cropLeft = Math.max(0, -left);
  const cropRight = Math.max(0, -right);
  let y = x;
  if (cropTop + cropBottom + cropLeft + cropRight > 0) {
    y = tf.slice(y, [0, cropTop, cropLeft, 0], [
      n,
      h - cropTop - cropBottom,
      w - cropLeft - cropRight,
      c,
    ]);
  }
  const [pt, pb, pl, pr] = [top, bottom, left, right].map((v) => Math.max(0, v));
  if (pt + pb + pl + pr > 0) {
    y = tf.pad(y, [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
  }
  return y;
}

/** Wraps a kernel input (a Tensor or bare TensorInfo) as a Tensor for use with tf ops. */
export function asTensor<T extends tf.Tensor>(info: tf.TensorInfo): T {
  if (info instanceof tf.Tensor) return info as T;
  return tf.engine().makeTensorFromTensorInfo(info) as T;
}
