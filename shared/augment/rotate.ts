import type { Fill } from "../crop.ts";
import { type Image, makeImage } from "../image.ts";

/**
 * Rotates the image `angle` degrees counter-clockwise about its centre, keeping its size, with
 * bilinear interpolation; pixels that map from outside the input get `fill`. Matches
 * `torchvision.transforms.functional.rotate(img, angle, InterpolationMode.BILINEAR, fill=fill)` on
 * a PIL image, i.e. Pillow `Image.rotate(angle, BILINEAR, fillcolor=fill)`: the same fast paths
 * (exact transposes for multiples of 90), the same inverse matrix (rounded to 15 decimals) about
 * (w/2, h/2), and libImaging/Geometry.c's bilinear filter, which samples pixel centres and
 * truncates the interpolated value. Accepts 1- or 3-channel images; `fill` is one integer level
 * in [0, 255] for every channel or one per channel.
 */
export function rotate(img: Image, angle: number, fill: Fill = 0): Image {
  if (!Number.isFinite(angle)) throw new RangeError(`rotation angle must be finite, got ${angle}`);
  if (img.channels === 4) {
    // Pillow rotates RGBA premultiplied; nothing in edgeclass needs it, so refuse loudly.
    throw new RangeError("rotate supports 1- or 3-channel images, got 4 channels");
  }
  const fillPx = parseFill(fill, img.channels);
  // Python's float `%` takes the divisor's sign, so the angle lands in [0, 360].
  let deg = angle % 360;
  if (deg < 0) deg += 360;
  const { width: w, height: h } = img;
  if (deg === 0) return makeImage(w, h, img.channels, img.data.slice());
  if (deg === 180) return transpose(img, "rotate180");
  if ((deg === 90 || deg === 270) && w === h) {
    return transpose(img, deg === 90 ? "rotate90" : "rotate270");
  }

  const rad = -(deg * (Math.PI / 180));
  const cos = round15(Math.cos(rad));
  const sin = round15(Math.sin(rad));
  const negSin = round15(-Math.sin(rad));
  const cx = w / 2.0;
  const cy = h / 2.0;
  // Inverse affine map [a b c; d e f] from output to input pixel coordinates, as Image.rotate builds it.
  const a = cos, b = sin, d = negSin, e = cos;
  const c = a * -cx + b * -cy + 0.0 + cx;
  const f = d * -cx + e * -cy + 0.0 + cy;
  return bilinearAffine(img, [a, b, c, d, e, f], fillPx);
}

/** Python `round(x, 15)`: the nearest double to x rounded to 15 decimal places. */
function round15(x: number): number {
  // toFixed rounds the exact binary value, like Python's correctly rounded round().
  return Number.parseFloat(x.toFixed(15));
}

/** torchvision passes fill levels to Pillow through int(); whole levels only, to keep that exact. */
function parseFill(fill: Fill, channels: number): number[] {
  const levels = typeof fill === "number" ? new Array<number>(channels).fill(fill) : [...fill];
  if (levels.length !== channels) {
    throw new RangeError(`fill has ${levels.length} values, the image has ${channels} channels`);
  }
  for (const v of levels) {
    if (!Number.isInteger(v) || v < 0 || v > 255) {
      throw new RangeError(`fill levels must be integers in [0, 255], got ${v}`);
    }
  }
  return levels;
}

type Transposition = "rotate90" | "rotate180" | "rotate270";

/** Pillow `Image.transpose` for the rotations (counter-clockwise), which `rotate` shortcuts to. */
function transpose(img: Image, op: Transposition): Image {
  const { width: w, height: h, channels: ch, data } = img;
  const ow = op === "rotate180" ? w : h;
  const oh = op === "rotate180" ? h : w;
  const out = new Uint8Array(data.length); // [oh, ow, C]
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let sx: number, sy: number;
      if (op === "rotate180") [sx, sy] = [w - 1 - x, h - 1 - y];
      else if (op === "rotate90") [sx, sy] = [w - 1 - y, x];
      else [sx, sy] = [y, h - 1 - x];
      const src = (sy * w + sx) * ch;
      const dst = (y * ow + x) * ch;
      for (let k = 0; k < ch; k++) out[dst + k] = data[src + k];
    }
  }
  return makeImage(ow, oh, ch, out);
}

/**
 * libImaging/Geometry.c ImagingGenericTransform + affine_transform + bilinear_filter8/32RGB.
 * Output pixel (x, y) samples the input at m * (x + 0.5, y + 0.5); samples outside the input keep
 * the fill colour, edge neighbours are clamped, and the blended value is truncated to uint8.
 */
function bilinearAffine(img: Image, m: readonly number[], fill: readonly number[]): Image {
  const { width: w, height: h, channels: ch, data } = img;
  const [a0, a1, a2, a3, a4, a5] = m;
  const out = new Uint8Array(data.length); // [H, W, C]
  const rowBytes = w * ch;
  for (let y = 0; y < h; y++) {
    const yc = y + 0.5;
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * ch;
      const xc = x + 0.5;
      let xin = a0 * xc + a1 * yc + a2;
      let yin = a3 * xc + a4 * yc + a5;
      if (xin < 0.0 || xin >= w || yin < 0.0 || yin >= h) {
        for (let k = 0; k < ch; k++) out[o + k] = fill[k];
        continue;
      }
      xin -= 0.5;
      yin -= 0.5;
      const ix = Math.floor(xin);
      const iy = Math.floor(yin);
      const dx = xin - ix;
      const dy = yin - iy;
      const x0 = (ix < 0 ? 0 : ix < w ? ix : w - 1) * ch;
      const x1 = (ix + 1 < 0 ? 0 : ix + 1 < w ? ix + 1 : w - 1) * ch;
      const row0 = (iy < 0 ? 0 : iy < h ? iy : h - 1) * rowBytes;
      const hasRow1 = iy + 1 >= 0 && iy + 1 < h;
      const row1 = (iy + 1) * rowBytes;
      for (let k = 0; k < ch; k++) {
        const p00 = data[row0 + x0 + k];
        let v1 = p00 + (data[row0 + x1 + k] - p00) * dx;
        let v2 = v1;
        if (hasRow1) {
          const p10 = data[row1 + x0 + k];
          v2 = p10 + (data[row1 + x1 + k] - p10) * dx;
        }
        v1 = v1 + (v2 - v1) * dy;
        out[o + k] = v1; // truncates, like the C (UINT8) cast
      }
    }
  }
  return makeImage(w, h, ch, out);
}
