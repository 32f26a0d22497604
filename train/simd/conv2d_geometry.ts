/**
 * Geometry of a 2-D convolution as the C kernels take it, resolved from tfjs attrs exactly as
 * the tfjs kernels resolve it (TF "same" puts the odd padding pixel bottom/right).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Convolution padding as tfjs attrs carry it. */
export type ConvPad = tf.Conv2DAttrs["pad"];

/** n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, padTop, padLeft: the C argument order. */
export type ConvGeometry = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

/** Index of each field in ConvGeometry. */
export const G = {
  n: 0,
  h: 1,
  w: 2,
  cin: 3,
  oh: 4,
  ow: 5,
  cout: 6,
  kh: 7,
  kw: 8,
} as const;

/**
 * Resolves NHWC conv geometry, or returns null for what the C kernels do not cover (dilation
 * other than 1).
 */
export function convGeometry(
  xShape: readonly number[], // [N, H, W, Cin]
  filterShape: readonly number[], // [KH, KW, Cin, Cout]
  strides: [number, number] | number,
  pad: ConvPad,
  dimRoundingMode: "floor" | "round" | "ceil" | undefined,
  dilations: [number, number] | number = 1,
): ConvGeometry | null {
  const [dh, dw] = typeof dilations === "number" ? [dilations, dilations] : dilations;
  if (dh !== 1 || dw !== 1) return null;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    "channelsLast",
  );
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

/** Multiply-accumulates of the convolution (the same for its two gradients). */
export function convMacs(g: ConvGeometry): number {
  return g[G.n] * g[G.oh] * g[G.ow] * g[G.kh] * g[G.kw] * g[G.cin] * g[G.cout];
}

/** Tunables of the SIMD convolution kernels (tests lower the threshold to reach the pool). */
export const simdTuning = {
  /** Work below this many multiply-accumulates stays on one thread, in place. */
  poolMinMacs: 1 << 24,
};
