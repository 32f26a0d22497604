/**
 * Rectangle crops with Pillow's `Image.crop` semantics.
 * @module
 */
import { type Image, makeImage } from "./image.ts";

/** A fill colour: one value for every channel, or one per channel. */
export type Fill = number | readonly number[];

/** `fill` expanded to one value per channel, checked to be bytes. */
export function fillPixel(fill: Fill, channels: number): Uint8Array {
  const values = typeof fill === "number" ? new Array(channels).fill(fill) : [...fill];
  if (values.length !== channels || values.some((v) => !(v >= 0 && v <= 255))) {
    throw new RangeError(`fill must be ${channels} values in [0, 255], got ${fill}`);
  }
  return Uint8Array.from(values, (v) => Math.round(v));
}

/**
 * The `width` x `height` window whose top-left corner is (`left`, `top`), like
 * `PIL.Image.crop((left, top, left + width, top + height))` and torchvision's `F.crop`:
 * the window may reach outside the image, and those pixels are `fill` (Pillow uses 0).
 */
export function crop(
  img: Image,
  left: number,
  top: number,
  width: number,
  height: number,
  fill: Fill = 0,
): Image {
  for (const [k, v] of Object.entries({ left, top, width, height })) {
    if (!Number.isInteger(v)) throw new RangeError(`crop ${k} must be an integer, got ${v}`);
  }
  if (width < 1 || height < 1) {
    throw new RangeError(`crop size must be positive, got ${width}x${height}`);
  }
  const ch = img.channels;
  const out = new Uint8Array(width * height * ch);
  const px = fillPixel(fill, ch);
  if (px.some((v) => v !== 0)) {
    for (let i = 0; i < out.length; i += ch) out.set(px, i);
  }
  // The part of the window that overlaps the image, in image coordinates.
  const x0 = Math.max(left, 0);
  const x1 = Math.min(left + width, img.width);
  const y0 = Math.max(top, 0);
  const y1 = Math.min(top + height, img.height);
  if (x1 > x0) {
    for (let y = y0; y < y1; y++) {
      const from = (y * img.width + x0) * ch;
      out.set(
        img.data.subarray(from, from + (x1 - x0) * ch),
        ((y - top) * width + (x0 - left)) * ch,
      );
    }
  }
  return makeImage(width, height, ch, out);
}
