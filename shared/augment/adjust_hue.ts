import { type Image, makeImage } from "../image.ts";
import { requireRgb } from "./require_rgb.ts";

const f32 = Math.fround;

/**
 * Rotates hue like `torchvision.transforms.functional.adjust_hue` on a PIL image: convert to
 * Pillow's 8-bit HSV, add `uint8(factor * 255)` to H with uint8 wraparound, convert back.
 * `factor` is in [-0.5, 0.5] (a fraction of the hue circle); 0 leaves colours unchanged.
 *
 * The conversions port libImaging/Convert.c `rgb2hsv_row` and `hsv2rgb`, keeping each C float
 * (float32, via `Math.fround`) versus double step, so results match Pillow bit for bit.
 */
export function adjustHue(img: Image, factor: number): Image {
  requireRgb(img, "adjustHue");
  if (!(factor >= -0.5 && factor <= 0.5)) {
    throw new RangeError(`hue factor must be in [-0.5, 0.5], got ${factor}`);
  }
  // numpy's float -> uint8 cast truncates toward zero and wraps negatives modulo 256.
  const shift = ((Math.trunc(factor * 255) % 256) + 256) % 256;
  const { data } = img;
  const out = new Uint8Array(data.length); // [H, W, 3]
  const hsv = new Uint8Array(3);
  for (let s = 0; s < data.length; s += 3) {
    rgbToHsvPil(data[s], data[s + 1], data[s + 2], hsv);
    hsvToRgbPil((hsv[0] + shift) & 255, hsv[1], hsv[2], out, s);
  }
  return makeImage(img.width, img.height, 3, out);
}

function clip8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : v;
}

/** Convert.c `rgb2hsv_row`; writes [h, s, v] into `out`. */
function rgbToHsvPil(r: number, g: number, b: number, out: Uint8Array): void {
  const maxc = Math.max(r, g, b);
  const minc = Math.min(r, g, b);
  out[2] = maxc;
  if (minc === maxc) {
    out[0] = 0;
    out[1] = 0;
    return;
  }
  const cr = maxc - minc;
  const sat = f32(cr / maxc);
  const rc = f32((maxc - r) / cr);
  const gc = f32((maxc - g) / cr);
  const bc = f32((maxc - b) / cr);
  let h: number;
  if (r === maxc) h = f32(bc - gc);
  else if (g === maxc) h = f32(2.0 + rc - bc); // double arithmetic, stored as float
  else h = f32(4.0 + gc - rc);
  // JS `%` on doubles is C fmod exactly.
  h = f32((h / 6.0 + 1.0) % 1.0);
  out[0] = clip8(Math.trunc(h * 255.0));
  out[1] = clip8(Math.trunc(sat * 255.0));
}

/** Convert.c `hsv2rgb` for one pixel; writes R, G, B at `out[o..o+2]`. */
function hsvToRgbPil(h: number, s: number, v: number, out: Uint8Array, o: number): void {
  if (s === 0) {
    out[o] = v;
    out[o + 1] = v;
    out[o + 2] = v;
    return;
  }
  const i = Math.floor((h * 6.0) / 255.0);
  const f = f32((h * 6.0) / 255.0 - i);
  const fs = f32(s / 255.0);
  // C round() is half away from zero; Math.round matches it for these non-negative values.
  const p = clip8(Math.round(v * (1.0 - fs)));
  const q = clip8(Math.round(v * (1.0 - f32(fs * f))));
  const t = clip8(Math.round(v * (1.0 - fs * (1.0 - f))));
  let r: number, g: number, b: number;
  switch (i % 6) {
    case 0:
      [r, g, b] = [v, t, p];
      break;
    case 1:
      [r, g, b] = [q, v, p];
      break;
    case 2:
      [r, g, b] = [p, v, t];
      break;
    case 3:
      [r, g, b] = [p, q, v];
      break;
    case 4:
      [r, g, b] = [t, p, v];
      break;
    default:
      [r, g, b] = [v, p, q];
      break;
  }
  out[o] = r;
  out[o + 1] = g;
  out[o + 2] = b;
}
