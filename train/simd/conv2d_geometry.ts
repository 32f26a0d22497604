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
 * other than 1). With `depthwise`, filterShape is [KH, KW, C, M] and cout is C * M.
 */
export function convGeometry(
  xShape: readonly number[], // [N, H, W, Cin]
  filterShape: readonly number[], // [KH, KW, Cin, Cout]
  strides: [number, number] | number,
  pad: ConvPad,
  dimRoundingMode: "floor" | "round" | "ceil" | undefined,
  dilations: [number, number] | number = 1,
  depthwise = false,
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
    depthwise,
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

/** Filter gradients over fewer output positions than this are one plain sum (no slots). */
export const DW_SLOT_MIN_POSITIONS = 4096;
/** At most this many slots (each holds a partial dW). */
export const DW_MAX_SLOTS = 16;
/** Slot lengths are whole GEMM K blocks (csrc/simd.h KC), so no block is split. */
const DW_SLOT_ALIGN = 256;

/**
 * How the filter gradient of `g` is summed over its N*OH*OW output positions: 0 for one
 * running sum, else the length of the fixed slots whose partial sums are added in slot order.
 * It depends on the geometry only, never on the thread count, so training is bit-for-bit
 * reproducible on any machine (PyTorch's CPU kernels do not promise that).
 */
export function dwSlotPositions(g: ConvGeometry): number {
  const positions = g[G.n] * g[G.oh] * g[G.ow];
  if (positions < DW_SLOT_MIN_POSITIONS) return 0;
  const slots = Math.min(DW_MAX_SLOTS, Math.floor(positions / 2048));
  return Math.ceil(positions / slots / DW_SLOT_ALIGN) * DW_SLOT_ALIGN;
}

/** Tunables of the SIMD convolution kernels (tests lower the threshold to reach the pool). */
export const simdTuning = {
  /** Work below this many multiply-accumulates stays on one thread, in place. */
  poolMinMacs: 1 << 24,
};
