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

/**
 * A rectangle of the resized image, in output pixels: `resizeWindow` computes only these.
 * It must lie inside the output (`0 <= left`, `left + width <= output width`, same for rows).
 */
export interface ResizeWindow {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Per output pixel of a window: first input index, tap count, and `ksize` fixed-point weights. */
interface Coeffs {
  ksize: number;
  /** [count * 2]: (xmin, taps) pairs, xmin in absolute input pixels. */
  bounds: Int32Array;
  /** [count * ksize] weights scaled by 2^PRECISION_BITS. */
  kk: Int32Array;
}

/**
 * `precompute_coeffs` + `normalize_coeffs_8bpc` from Resample.c, for the `count` outputs from
 * `first` on. Every output's taps depend only on its own index, so a window of them equals the
 * same entries of Pillow's full table.
 */
function precomputeCoeffs(
  inSize: number,
  in0: number,
  in1: number,
  outSize: number,
  filter: Filter,
  first: number,
  count: number,
): Coeffs {
  // (double)(in1 - in0): the subtraction happens in float32 in C
  const scale = Math.fround(in1 - in0) / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(count * 2);
  const kk = new Int32Array(count * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let j = 0; j < count; j++) {
    const xx = first + j;
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
      kk[j * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[j * 2] = xmin;
    bounds[j * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

// Sums are int32 as in C (Math.imul: V8 keeps them in integer registers, measured faster than
// plain doubles); Pillow sizes PRECISION_BITS so that they cannot overflow, so `>> PRECISION_BITS`
// is C's arithmetic shift, and storing into a Uint8ClampedArray is `clip8`'s clamp to 0..255.

/**
 * Horizontal pass: rows [row0, row0 + rows) of `src` (`srcWidth` pixels wide) resampled to the
 * `c` columns. Output [rows, columns, channels].
 */
function resampleHorizontal(
  src: Uint8Array,
  srcWidth: number,
  channels: number,
  row0: number,
  rows: number,
  c: Coeffs,
): Uint8Array {
  const outWidth = c.bounds.length >> 1;
  const out = new Uint8Array(outWidth * rows * channels);
  const clamped = new Uint8ClampedArray(out.buffer);
  const { ksize, bounds, kk } = c;
  const rowLen = srcWidth * channels;
  let o = 0;
  for (let yy = 0; yy < rows; yy++) {
    const rowIn = (yy + row0) * rowLen;
    for (let xx = 0; xx < outWidth; xx++) {
      const kOff = xx * ksize;
      const kEnd = kOff + bounds[xx * 2 + 1];
      if (channels === 3) {
        let s0 = HALF, s1 = HALF, s2 = HALF;
        let p = rowIn + bounds[xx * 2] * 3;
        for (let k = kOff; k < kEnd; k++, p += 3) {
          const w = kk[k];
          s0 = (s0 + Math.imul(src[p], w)) | 0;
          s1 = (s1 + Math.imul(src[p + 1], w)) | 0;
          s2 = (s2 + Math.imul(src[p + 2], w)) | 0;
        }
        clamped[o] = s0 >> PRECISION_BITS;
        clamped[o + 1] = s1 >> PRECISION_BITS;
        clamped[o + 2] = s2 >> PRECISION_BITS;
        o += 3;
      } else {
        for (let ch = 0; ch < channels; ch++, o++) {
          let s = HALF;
          let p = rowIn + bounds[xx * 2] * channels + ch;
          for (let k = kOff; k < kEnd; k++, p += channels) s = (s + Math.imul(src[p], kk[k])) | 0;
          clamped[o] = s >> PRECISION_BITS;
        }
      }
    }
  }
  return out;
}

/**
 * Vertical pass: output row `yy` is the weighted sum of `src` rows `bounds[2yy] - rowBase ...`,
 * each read as `rowLen` values from `colOffset` in rows of `stride` values. Output [rows, rowLen].
 * Whole rows are accumulated at once so that the inner loops walk memory linearly; up to four
 * taps are summed per pass so that short kernels (bilinear, mild downscales) need no
 * accumulator at all.
 */
function resampleVertical(
  src: Uint8Array,
  stride: number,
  colOffset: number,
  rowLen: number,
  rowBase: number,
  c: Coeffs,
): Uint8Array {
  const rows = c.bounds.length >> 1;
  const out = new Uint8Array(rowLen * rows);
  const clamped = new Uint8ClampedArray(out.buffer);
  const { ksize, bounds, kk } = c;
  let acc: Int32Array | undefined;
  for (let yy = 0; yy < rows; yy++) {
    const n = bounds[yy * 2 + 1];
    const kOff = yy * ksize;
    const o = yy * rowLen;
    // Offset of tap t's row in src.
    const at = (t: number) => (bounds[yy * 2] - rowBase + t) * stride + colOffset;
    const w0 = kk[kOff], p0 = at(0);
    if (n === 1) {
      for (let i = 0; i < rowLen; i++) {
        clamped[o + i] = (HALF + Math.imul(src[p0 + i], w0)) >> PRECISION_BITS;
      }
      continue;
    }
    const w1 = kk[kOff + 1], p1 = at(1);
    if (n === 2) {
      for (let i = 0; i < rowLen; i++) {
        clamped[o + i] = (HALF + Math.imul(src[p0 + i], w0) + Math.imul(src[p1 + i], w1)) >>
          PRECISION_BITS;
      }
      continue;
    }
    const w2 = kk[kOff + 2], p2 = at(2);
    if (n === 3) {
      for (let i = 0; i < rowLen; i++) {
        const s = HALF + Math.imul(src[p0 + i], w0) + Math.imul(src[p1 + i], w1) +
          Math.imul(src[p2 + i], w2);
        clamped[o + i] = s >> PRECISION_BITS;
      }
      continue;
    }
    const w3 = kk[kOff + 3], p3 = at(3);
    if (n === 4) {
      for (let i = 0; i < rowLen; i++) {
        const s = HALF + Math.imul(src[p0 + i], w0) + Math.imul(src[p1 + i], w1) +
          Math.imul(src[p2 + i], w2) + Math.imul(src[p3 + i], w3);
        clamped[o + i] = s >> PRECISION_BITS;
      }
      continue;
    }
    acc ??= new Int32Array(rowLen);
    acc.fill(HALF);
    let t = 0;
    for (; t + 4 <= n; t += 4) {
      const w0 = kk[kOff + t], w1 = kk[kOff + t + 1], w2 = kk[kOff + t + 2];
      const w3 = kk[kOff + t + 3];
      const p0 = at(t), p1 = at(t + 1), p2 = at(t + 2), p3 = at(t + 3);
      for (let i = 0; i < rowLen; i++) {
        acc[i] += Math.imul(src[p0 + i], w0) + Math.imul(src[p1 + i], w1) +
          Math.imul(src[p2 + i], w2) + Math.imul(src[p3 + i], w3);
      }
    }
    for (; t < n; t++) {
      const w = kk[kOff + t];
      const p = at(t);
      for (let i = 0; i < rowLen; i++) acc[i] += Math.imul(src[p + i], w);
    }
    for (let i = 0; i < rowLen; i++) clamped[o + i] = acc[i] >> PRECISION_BITS;
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
 * with the source x position accumulated by repeated addition, exactly as Pillow does it
 * (so the accumulation runs from 0 even when only a window is wanted).
 */
function resizeNearest(
  img: Image,
  width: number,
  height: number,
  box: ResizeBox,
  win: ResizeWindow,
): Image {
  const ch = img.channels;
  const a0 = Math.fround(box[2] - box[0]) / width;
  const a4 = Math.fround(box[3] - box[1]) / height;
  const out = new Uint8Array(win.width * win.height * ch);
  const xEnd = win.left + win.width;
  const xin = new Int32Array(xEnd).fill(-1); // -1: outside the source, stays 0 as in Pillow
  let xo = box[0] + a0 * 0.5;
  for (let x = 0; x < xEnd; x++) {
    const xi = xo < 0 ? -1 : Math.trunc(xo);
    if (xi >= 0 && xi < img.width) xin[x] = xi;
    xo += a0;
  }
  let yo = box[1] + a4 * 0.5;
  for (let y = 0; y < win.top + win.height; y++) {
    const yi = yo < 0 ? -1 : Math.trunc(yo);
    if (y >= win.top && yi >= 0 && yi < img.height) {
      const rowIn = yi * img.width * ch;
      const rowOut = (y - win.top) * win.width * ch;
      for (let x = win.left; x < xEnd; x++) {
        if (xin[x] < 0) continue;
        const p = rowIn + xin[x] * ch;
        const o = rowOut + (x - win.left) * ch;
        for (let c = 0; c < ch; c++) out[o + c] = img.data[p + c];
      }
    }
    yo += a4;
  }
  return makeImage(win.width, win.height, img.channels, out);
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
  return resizeWindow(img, width, height, filter, box, { left: 0, top: 0, width, height });
}

/**
 * The `win` rectangle of `resize(img, width, height, filter, box)`, bit for bit, computing only
 * those pixels: every output pixel of Pillow's separable filter depends on its own column's and
 * row's taps alone, so the horizontal pass runs only for the window's columns and the input rows
 * its output rows read, and the vertical pass only for the window's rows.
 */
export function resizeWindow(
  img: Image,
  width: number,
  height: number,
  filter: ResizeFilter,
  box: ResizeBox,
  win: ResizeWindow,
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
  const { left, top } = win;
  if (
    ![left, top, win.width, win.height].every(Number.isInteger) || left < 0 || top < 0 ||
    win.width < 1 || win.height < 1 || left + win.width > width || top + win.height > height
  ) {
    throw new RangeError(
      `resize window ${win.width}x${win.height}+${left}+${top} is not inside ${width}x${height}`,
    );
  }

  // Pillow crops instead of resampling when the box is integral and already the right size.
  if (
    Number.isInteger(fb[0]) && Number.isInteger(fb[1]) &&
    Math.fround(fb[2] - fb[0]) === width && Math.fround(fb[3] - fb[1]) === height
  ) {
    return copyRect(img, fb[0] + left, fb[1] + top, win.width, win.height);
  }
  if (filter === "nearest") return resizeNearest(img, width, height, fb, win);
  const f = filter === "bilinear" ? BILINEAR : filter === "bicubic" ? BICUBIC : undefined;
  if (!f) throw new RangeError(`unknown resize filter '${filter}'`);

  // Pillow skips a pass that would be the identity; so do we (its taps would be [1] anyway).
  const needH = width !== img.width || fb[0] !== 0 || fb[2] !== width;
  const needV = height !== img.height || fb[1] !== 0 || fb[3] !== height;
  const ch = img.channels;
  const vert = needV
    ? precomputeCoeffs(img.height, fb[1], fb[3], height, f, top, win.height)
    : undefined;
  // Input rows the vertical pass reads (bounds grow with the output row).
  const yFirst = vert ? vert.bounds[0] : top;
  const yEnd = vert
    ? vert.bounds[win.height * 2 - 2] + vert.bounds[win.height * 2 - 1]
    : top + win.height;

  let data: Uint8Array;
  let stride: number; // values per row of `data`
  let colOffset: number; // where the window's first column starts in a row of `data`
  let rowBase: number; // input row held by the first row of `data`
  if (needH) {
    const horiz = precomputeCoeffs(img.width, fb[0], fb[2], width, f, left, win.width);
    data = resampleHorizontal(img.data, img.width, ch, yFirst, yEnd - yFirst, horiz);
    stride = win.width * ch;
    colOffset = 0;
    rowBase = yFirst;
  } else {
    data = img.data;
    stride = img.width * ch;
    colOffset = left * ch;
    rowBase = 0;
  }
  if (vert) {
    data = resampleVertical(data, stride, colOffset, win.width * ch, rowBase, vert);
  } else if (!needH) {
    return copyRect(img, left, top, win.width, win.height);
  }
  assert(data.length === win.width * win.height * ch, "resize produced the window's size");
  return makeImage(win.width, win.height, img.channels, data);
}
