/**
 * Input gradient of a strided convolution as stride-1 convolutions, one per stride phase.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type ConvGeometry, padOrCropHw } from "./conv_geometry.ts";

/**
 * A stride-1 "valid" correlation of `x` [N, H', W', Cdy] with `subFilter` [T, T', A, B] (a
 * spatially flipped, strided subset of the forward filter), producing [N, H'-T+1, W'-T'+1, Cx].
 */
export type Correlate = (x: tf.Tensor4D, subFilter: tf.Tensor4D) => tf.Tensor4D;

/** One axis of the phase decomposition: which taps and how much padding phase `a` uses. */
interface Phase {
  /** First filter tap of this phase; taps are first, first + s, first + 2s, ... */
  firstTap: number;
  /** Number of taps (0: this phase of dx receives nothing). */
  taps: number;
  /** Padding before dy (negative: crop). */
  before: number;
  /** Padding after dy (negative: crop). */
  after: number;
  /** Rows of dx in this phase: ih = q*s + a for q < count. */
  count: number;
}

/**
 * dx[ih] collects dy[oh] * W[kh] for oh*s + kh - pad = ih. Writing ih = q*s + a, the taps are
 * kh = t*s + r with r = (a + pad) mod s, and oh = q + base - t with base = floor((a + pad) / s):
 * a stride-1 correlation of dy with the reversed taps, padded by taps - 1 - base.
 */
function phase(a: number, s: number, k: number, pad: number, outLen: number, inLen: number): Phase {
  const r = (a + pad) % s;
  const base = Math.floor((a + pad) / s);
  const taps = r < k ? Math.ceil((k - r) / s) : 0;
  const count = Math.ceil((inLen - a) / s);
  const before = taps - 1 - base;
  return { firstTap: r, taps, before, after: count + taps - 1 - before - outLen, count };
}

/**
 * The taps of one phase, spatially flipped: sub[u, v] = filter[(T-1-u)*sh + r, (T'-1-v)*sw + r'].
 *
 * Done as one matmul with a 0/1 selection matrix over the flattened taps: wasm's Reverse,
 * StridedSlice and Gather take ~100-250 ms on a [3, 3, 512, 512] filter, the matmul ~5 ms.
 * (A NaN or Inf weight would spread through the zeros, but then training has failed anyway.)
 */
function phaseTaps(filter: tf.Tensor4D, pr: Phase, pc: Phase, sh: number, sw: number): tf.Tensor4D {
  const [kh, kw, a, b] = filter.shape;
  if (kh === 1 && kw === 1) return filter; // 1x1: nothing to select or flip
  const select = new Float32Array(pr.taps * pc.taps * kh * kw);
  for (let u = 0; u < pr.taps; u++) {
    for (let v = 0; v < pc.taps; v++) {
      const row = (pr.taps - 1 - u) * sh + pr.firstTap;
      const col = (pc.taps - 1 - v) * sw + pc.firstTap;
      select[(u * pc.taps + v) * kh * kw + row * kw + col] = 1;
    }
  }
  const picked = tf.matMul(
    tf.tensor2d(select, [pr.taps * pc.taps, kh * kw]),
    tf.reshape(filter, [kh * kw, a * b]),
  );
  return tf.reshape(picked, [pr.taps, pc.taps, a, b]);
}

/**
 * Gradient with respect to the input of a strided, padded convolution (NHWC, dilation 1).
 *
 * Instead of spreading dy with zeros (which wastes (s^2 - 1)/s^2 of the multiplies), each of
 * the s*s output phases dx[:, a::s, b::s] is a stride-1 convolution of dy with the taps that
 * land on it; the phases are then interleaved. For stride 1 it is the usual single
 * "full" correlation with the flipped filter.
 *
 * @param dy [N, OH, OW, Cdy]
 * @param filter forward filter [KH, KW, A, B]
 * @param correlate stride-1 valid correlation used for each phase
 * @param outChannels channels of dx
 * @returns dx [N, H, W, outChannels]
 */
export function transposedConvByPhases(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  g: ConvGeometry,
  correlate: Correlate,
  outChannels: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filter.shape;
    const sh = g.strideHeight;
    const sw = g.strideWidth;
    const rowsPerPhase = Math.ceil(g.inHeight / sh);
    const colsPerPhase = Math.ceil(g.inWidth / sw);
    const phaseRows: tf.Tensor4D[] = [];
    for (let a = 0; a < sh; a++) {
      const pr = phase(a, sh, kh, g.padTop, g.outHeight, g.inHeight);
      const phaseCols: tf.Tensor4D[] = [];
      for (let b = 0; b < sw; b++) {
        const pc = phase(b, sw, kw, g.padLeft, g.outWidth, g.inWidth);
        let part: tf.Tensor4D;
        if (pr.taps === 0 || pc.taps === 0 || pr.count <= 0 || pc.count <= 0) {
          part = tf.zeros([g.batch, Math.max(pr.count, 0), Math.max(pc.count, 0), outChannels]);
        } else {
          const sub = phaseTaps(filter, pr, pc, sh, sw); // [T, T', A, B]
          part = correlate(padOrCropHw(dy, pr.before, pr.after, pc.before, pc.after), sub);
        }
        // Equal phase sizes so they can be interleaved; the overhang is cropped below.
        phaseCols.push(
          padOrCropHw(part, 0, rowsPerPhase - part.shape[1], 0, colsPerPhase - part.shape[2]),
        );
      }
      phaseRows.push(phaseCols.length === 1 ? phaseCols[0] : tf.stack(phaseCols, 3) as tf.Tensor4D);
    }
    if (sh === 1 && sw === 1) return phaseRows[0];
    // [N, Qh, Qw, sw, C] per row phase -> [N, Qh, sh, Qw, sw, C] -> [N, Qh*sh, Qw*sw, C].
    const stacked = sh === 1 ? phaseRows[0] : tf.stack(phaseRows, 2);
    const woven = tf.reshape(stacked, [g.batch, rowsPerPhase * sh, colsPerPhase * sw, outChannels]);
    return tf.slice(woven, [0, 0, 0, 0], [
      g.batch,
      g.inHeight,
      g.inWidth,
      outChannels,
    ]) as tf.Tensor4D;
  });
}
