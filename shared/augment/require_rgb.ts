import type { Image } from "../image.ts";

/** Throws a `RangeError` naming `op` unless `img` is 3-channel RGB. */
export function requireRgb(img: Image, op: string): void {
  if (img.channels !== 3) {
    throw new RangeError(`${op} needs an RGB image (3 channels), got ${img.channels} channel(s)`);
  }
}
