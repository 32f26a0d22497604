import { type Image, makeImage } from "../image.ts";
import { requireRgb } from "./require_rgb.ts";

/**
 * Pillow's RGB -> "L" conversion (libImaging/Convert.c `L24`): ITU-R 601-2 luma
 * L = R * 299/1000 + G * 587/1000 + B * 114/1000 in 16.16 fixed point, rounded.
 */
export function pilLuma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

/**
 * The grayscale version of an RGB image, as `torchvision.transforms.functional.rgb_to_grayscale`
 * computes it for a PIL image (Pillow `convert("L")`). `outputChannels` 3 repeats the level in
 * R, G and B so the result still fits a 3-channel model input.
 */
export function rgbToGrayscale(img: Image, outputChannels: 1 | 3 = 1): Image {
  requireRgb(img, "rgbToGrayscale");
  if (outputChannels !== 1 && outputChannels !== 3) {
    throw new RangeError(`outputChannels must be 1 or 3, got ${outputChannels}`);
  }
  const { width, height, data } = img;
  const n = width * height;
  const out = new Uint8Array(n * outputChannels); // [H, W, outputChannels]
  for (let i = 0, s = 0; i < n; i++, s += 3) {
    const level = pilLuma(data[s], data[s + 1], data[s + 2]);
    if (outputChannels === 1) {
      out[i] = level;
    } else {
      out[s] = level;
      out[s + 1] = level;
      out[s + 2] = level;
    }
  }
  return makeImage(width, height, outputChannels, out);
}
