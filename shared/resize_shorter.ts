/**
 * torchvision 0.14's `Resize(int)`: scale so the shorter side equals `size`.
 * @module
 */
import type { Image } from "./image.ts";
import { resize, type ResizeFilter } from "./resize.ts";

/**
 * The [width, height] torchvision's `_compute_resized_output_size` picks for `Resize(size)`:
 * the shorter side becomes `size`, the longer `int(size * long / short)` (truncated; a square
 * counts as width-shorter).
 */
export function shorterSideSize(width: number, height: number, size: number): [number, number] {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`resize size must be a positive integer, got ${size}`);
  }
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? [size, newLong] : [newLong, size];
}

/** `img` scaled (Pillow-exact `resize`) so that its shorter side is `size` pixels. */
export function resizeShorter(img: Image, size: number, filter: ResizeFilter = "bilinear"): Image {
  const [w, h] = shorterSideSize(img.width, img.height, size);
  return resize(img, w, h, filter);
}
