import { type Image, makeImage } from "../image.ts";

const f32 = Math.fround;

/** A pair given as one number for both axes or as `[x, y]` (torchvision's order). */
export type XY = number | readonly [number, number];

/** Torchvision's `_get_gaussian_kernel1d` in float32: exp(-x^2 / (2 sigma^2)) over integer x, normalised. */
export function gaussianKernel1d(size: number, sigma: number): Float64Array {
  const half = (size - 1) * 0.5;
  const pdf = new Float64Array(size);
  const s = f32(sigma);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const t = f32((i - half) / s);
    pdf[i] = f32(Math.exp(f32(-0.5 * f32(t * t))));
    sum = f32(sum + pdf[i]);
  }
  for (let i = 0; i < size; i++) pdf[i] = f32(pdf[i] / sum);
  return pdf;
}

function pair(v: XY): [number, number] {
  return typeof v === "number" ? [v, v] : [v[0], v[1]];
}

/**
 * Gaussian blur with a fixed kernel, matching `torchvision.transforms.functional.gaussian_blur`
 * 0.14 on a PIL image: the image becomes a float tensor, is reflect-padded by kernelSize // 2,
 * convolved with the Gaussian kernel (sigma per axis) and rounded half-to-even back to uint8.
 * `kernelSize` values must be odd and positive, `sigma` values positive; like torch's reflect
 * padding, each half-kernel must be smaller than the image side it pads. Any channel count.
 *
 * The 2-D kernel is separable (kx outer ky), so this runs two 1-D passes; torch sums a float32
 * 2-D convolution, so a level whose exact value sits within ~1e-4 of .5 can round the other way.
 */
export function gaussianBlurFixed(img: Image, kernelSize: XY, sigma: XY): Image {
  const [kx, ky] = pair(kernelSize);
  const [sx, sy] = pair(sigma);
  for (const k of [kx, ky]) {
    if (!Number.isInteger(k) || k <= 0 || k % 2 === 0) {
      throw new RangeError(`kernel size must be odd positive integers, got ${k}`);
    }
  }
  for (const s of [sx, sy]) {
    if (!(s > 0) || !Number.isFinite(s)) {
      throw new RangeError(`sigma must be positive and finite, got ${s}`);
    }
  }
  const { width: w, height: h, channels: ch, data } = img;
  const px = (kx - 1) / 2;
  const py = (ky - 1) / 2;
  if (px >= w || py >= h) {
    throw new RangeError(
      `kernel ${kx}x${ky} is too large for a ${w}x${h} image (reflect padding needs half-kernel < side)`,
    );
  }
  const wx = gaussianKernel1d(kx, sx);
  const wy = gaussianKernel1d(ky, sy);

  // Horizontal pass into a float buffer (no rounding between passes, like torch's single conv).
  const tmp = new Float64Array(data.length); // [H, W, C]
  const colIdx = reflectIndices(w, px);
  for (let y = 0; y < h; y++) {
    const row = y * w * ch;
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < ch; c++) {
        let acc = 0;
        for (let i = 0; i < kx; i++) acc += wx[i] * data[row + colIdx[x + i] * ch + c];
        tmp[row + x * ch + c] = acc;
      }
    }
  }
  const out = new Uint8Array(data.length); // [H, W, C]
  const rowIdx = reflectIndices(h, py);
  const rowBytes = w * ch;
  for (let y = 0; y < h; y++) {
    for (let j = 0; j < rowBytes; j++) {
      let acc = 0;
      for (let i = 0; i < ky; i++) acc += wy[i] * tmp[rowIdx[y + i] * rowBytes + j];
      out[y * rowBytes + j] = roundHalfEven(acc);
    }
  }
  return makeImage(w, h, ch, out);
}

/** Source index for each position of a reflect-padded axis (no edge repeat: -1 -> 1). */
function reflectIndices(n: number, pad: number): Int32Array {
  const idx = new Int32Array(n + 2 * pad);
  for (let i = 0; i < idx.length; i++) {
    let j = i - pad;
    if (j < 0) j = -j;
    if (j >= n) j = 2 * (n - 1) - j;
    idx[i] = j;
  }
  return idx;
}

/** torch.round then the uint8 cast: half to even, clamped to [0, 255]. */
function roundHalfEven(v: number): number {
  if (v <= 0) return 0;
  if (v >= 255) return 255;
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
