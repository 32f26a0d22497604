/**
 * A port of Pillow 9.4's resampling (`libImaging/Resample.c` and, for NEAREST, the affine
 * scaling in `Geometry.c`), so that a model trained in PyTorch with Pillow inputs sees the same
 * pixels here, in a browser, or at the edge.
 * @module
 */
import { assert } from "./assert.ts";
import { type Image, makeImage } from "./image.ts";
import type { ResizeFilter } from "./preprocess_config.ts";

export type { ResizeFilter } from "./preprocess_config.ts";

/**
 * Source rectangle `[left, top, right, bottom]` in input pixels, like Pillow's `box` argument.
 * Coordinates may be fractional; Pillow stores them as float32 and so do we.
 */
export type ResizeBox = readonly [number, number, number, number];

// Two spare bits above the 8 result bits absorb the negative lobes and overshoot of bicubic.
const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

interface Filter {
  fn: (x: number) => number;
  support: number;
}

const BILINEAR: Filter = {
  fn: (x) => {
    if (x < 0) x = -x;
    return x < 1 ? 1 - x : 0;
  },
  support: 1,
};

const BICUBIC: Filter = {
  // Keys cubic with a = -0.5, written in Pillow's operation order so the doubles round alike.
  fn: (x) => {
    const a = -0.5;
    if (x < 0) x = -x;
    if (x < 1) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
    return 0;
  },
  support: 2,
};

/** Per output pixel: first input index, tap count, and `ksize` fixed-point weights. */
interface Coeffs {
  ksize: number;
  /** [outSize * 2]: (xmin, count) pairs. */
  bounds: Int32Array;
  /** [outSize * ksize] weights scaled by 2^PRECISION_BITS. */
  kk: Int32Array;
}

/** `precompute_coeffs` + `normalize_coeffs_8bpc` from Resample.c. */
function precomputeCoeffs(
  inSize: number,
  in0: number,
  in1: number,
  outSize: number,
  filter: Filter,
): Coeffs {
  // (double)(in1 - in0): the subtraction happens in float32 in C
  const scale = Math.fround(in1 - in0) / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    // (int) truncates toward zero; the clamp below makes that the same as floor
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.fn((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x] / ww : k[x];
      // C's (int) cast after adding +-0.5: round half away from zero
      kk[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

/** Pillow's `clip8`: drop the fraction bits (arithmetic shift floors) and clamp to 0..255. */
function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Horizontal pass over rows [rowOffset, rowOffset + outHeight) of `src`. */
function resampleHorizontal(
  src: Uint8Array,
  srcWidth: number,
  channels: number,
  rowOffset: number,
  outWidth: number,
  outHeight: number,
  c: Coeffs,
): Uint8Array {
  const out = new Uint8Array(outWidth * outHeight * channels);
  const { ksize, bounds, kk } = c;
  for (let yy = 0; yy < outHeight; yy++) {
    const rowIn = (yy + rowOffset) * srcWidth * channels;
    const rowOut = yy * outWidth * channels;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2];
      const xmax = bounds[xx * 2 + 1];
      const kOff = xx * ksize;
      if (channels === 3) {
        // int32 sums, as in C: Pillow sizes the fixed point so that they cannot overflow
        let s0 = HALF, s1 = HALF, s2 = HALF;
        let p = rowIn + xmin * 3;
        for (let x = 0; x < xmax; x++, p += 3) {
          const w = kk[kOff + x];
          s0 = (s0 + Math.imul(src[p], w)) | 0;
          s1 = (s1 + Math.imul(src[p + 1], w)) | 0;
          s2 = (s2 + Math.imul(src[p + 2], w)) | 0;
        }
        const o = rowOut + xx * 3;
        out[o] = clip8(s0);
        out[o + 1] = clip8(s1);
        out[o + 2] = clip8(s2);
      } else {
        for (let ch = 0; ch < channels; ch++) {
          let s = HALF;
          let p = rowIn + xmin * channels + ch;
          for (let x = 0; x < xmax; x++, p += channels) {
            s = (s + Math.imul(src[p], kk[kOff + x])) | 0;
          }
          out[rowOut + xx * channels + ch] = clip8(s);
        }
      }
    }
  }
  return out;
}

/** Vertical pass; `c.bounds` already relative to the first row of `src`. */
function resampleVertical(
  src: Uint8Array,
  width: number,
  channels: number,
  outHeight: number,
  c: Coeffs,
): Uint8Array {
  const rowLen = width * channels;
  const out = new Uint8Array(rowLen * outHeight);
  const { ksize, bounds, kk } = c;
  // Accumulate whole rows at once: the inner loop then walks memory linearly.
  const acc = new Int32Array(rowLen);
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[yy * 2];
    const ymax = bounds[yy * 2 + 1];
    const kOff = yy * ksize;
    acc.fill(HALF);
    for (let y = 0; y < ymax; y++) {
      const w = kk[kOff + y];
      const rowIn = (y + ymin) * rowLen;
      for (let i = 0; i < rowLen; i++) acc[i] += Math.imul(src[rowIn + i], w);
    }
    const rowOut = yy * rowLen;
    for (let i = 0; i < rowLen; i++) out[rowOut + i] = clip8(acc[i]);
  }
  return out;
}

/** Copies the integer rectangle at (left, top) of size width x height; caller checks bounds. */
function copyRect(img: Image, left: number, top: number, width: number, height: number): Image {
  const ch = img.channels;
  const out = new Uint8Array(width * height * ch);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * img.width + left) * ch;
    out.set(img.data.subarray(from, from + width * ch), y * width * ch);
  }
  return makeImage(width, height, img.channels, out);
}

/**
 * Pillow's NEAREST resize: an affine scale (`ImagingScaleAffine`) sampling at pixel centres,
 * with the source x position accumulated by repeated addition, exactly as Pillow does it.
 */
function resizeNearest(img: Image, width: number, height: number, box: ResizeBox): Image {
  const ch = img.channels;
  const a0 = Math.fround(box[2] - box[0]) / width;
  const a4 = Math.fround(box[3] - box[1]) / height;
  const out = new Uint8Array(width * height * ch);
  const xin = new Int32Array(width);
  let xmin = width;
  let xmax = 0;
  let xo = box[0] + a0 * 0.5;
  for (let x = 0; x < width; x++) {
    const xi = xo < 0 ? -1 : Math.trunc(xo);
    if (xi >= 0 && xi < img.width) {
      xmax = x + 1;
      if (x < xmin) xmin = x;
      xin[x] = xi;
    }
    xo += a0;
  }
  let yo = box[1] + a4 * 0.5;
  for (let y = 0; y < height; y++) {
    const yi = yo < 0 ? -1 : Math.trunc(yo);
    // Rows outside the source stay 0, as Pillow's fill does.
    if (yi >= 0 && yi < img.height) {
      const rowIn = yi * img.width * ch;
      const rowOut = y * width * ch;
      for (let x = xmin; x < xmax; x++) {
        const p = rowIn + xin[x] * ch;
        const o = rowOut + x * ch;
        for (let c = 0; c < ch; c++) out[o + c] = img.data[p + c];
      }
    }
    yo += a4;
  }
  return makeImage(width, height, img.channels, out);
}

/**
 * Resizes like `PIL.Image.resize(size, resample, box)` of Pillow 9.4, bit for bit:
 * separable convolution (horizontal pass first, then vertical), filter support widened by the
 * downscale factor (antialiasing), 22-bit fixed-point weights, Pillow's rounding and clipping.
 * `nearest` follows Pillow's affine coordinate mapping instead of convolving.
 *
 * Each channel is filtered independently; for 4-channel images this differs from Pillow's
 * RGBA path, which premultiplies alpha first.
 *
 * @param box source rectangle [left, top, right, bottom]; defaults to the whole image.
 */
export function resize(
  img: Image,
  width: number,
  height: number,
  filter: ResizeFilter = "bilinear",
  box: ResizeBox = [0, 0, img.width, img.height],
): Image {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`resize size must be positive integers, got ${width}x${height}`);
  }
  const fb = box.map((v) => Math.fround(v)) as unknown as ResizeBox;
  if (!fb.every((v) => Number.isFinite(v))) throw new RangeError("resize box must be finite");
  if (fb[0] < 0 || fb[1] < 0) throw new RangeError("resize box offset can't be negative");
  if (fb[2] > img.width || fb[3] > img.height) {
    throw new RangeError("resize box can't exceed the image size");
  }
  if (fb[2] - fb[0] < 0 || fb[3] - fb[1] < 0) throw new RangeError("resize box can't be empty");

  // Pillow crops instead of resampling when the box is integral and already the right size.
  if (
    Number.isInteger(fb[0]) && Number.isInteger(fb[1]) &&
    Math.fround(fb[2] - fb[0]) === width && Math.fround(fb[3] - fb[1]) === height
  ) {
    return copyRect(img, fb[0], fb[1], width, height);
  }
  if (filter === "nearest") return resizeNearest(img, width, height, fb);
  const f = filter === "bilinear" ? BILINEAR : filter === "bicubic" ? BICUBIC : undefined;
  if (!f) throw new RangeError(`unknown resize filter '${filter}'`);

  const needH = width !== img.width || fb[0] !== 0 || fb[2] !== width;
  const needV = height !== img.height || fb[1] !== 0 || fb[3] !== height;
  const horiz = precomputeCoeffs(img.width, fb[0], fb[2], width, f);
  const vert = precomputeCoeffs(img.height, fb[1], fb[3], height, f);

  let data = img.data;
  let curWidth = img.width;
  let curHeight = img.height;
  if (needH) {
    // Only the rows the vertical pass will read get resampled horizontally.
    const yFirst = vert.bounds[0];
    const yLast = vert.bounds[height * 2 - 2] + vert.bounds[height * 2 - 1];
    for (let i = 0; i < height; i++) vert.bounds[i * 2] -= yFirst;
    curHeight = yLast - yFirst;
    data = resampleHorizontal(data, img.width, img.channels, yFirst, width, curHeight, horiz);
    curWidth = width;
  }
  if (needV) {
    data = resampleVertical(data, curWidth, img.channels, height, vert);
    curHeight = height;
  }
  if (data === img.data) data = data.slice();
  assert(curWidth === width && curHeight === height, "resize produced the requested size");
  return makeImage(width, height, img.channels, data);
}
