/**
 * Constant padding (torchvision `F.pad(img, [left, top, right, bottom], fill)` on PIL images).
 * @module
 */
import { crop, type Fill } from "./crop.ts";
import type { Image } from "./image.ts";

/** Borders in pixels: [left, top, right, bottom]. */
export type Padding = readonly [number, number, number, number];

/** `img` with `padding` pixels of `fill` added on each side. */
export function pad(img: Image, padding: Padding, fill: Fill = 0): Image {
  const [l, t, r, b] = padding;
  if (![l, t, r, b].every((v) => Number.isInteger(v) && v >= 0)) {
    throw new RangeError(`padding must be 4 non-negative integers, got ${padding}`);
  }
  return crop(img, -l, -t, img.width + l + r, img.height + t + b, fill);
}
