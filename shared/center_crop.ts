/**
 * torchvision 0.14's `CenterCrop` on PIL images.
 * @module
 */
import { crop, type Fill } from "./crop.ts";
import type { Image } from "./image.ts";

/** Python's `round()`: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The centred `width` x `height` window, as torchvision's `F.center_crop` computes it:
 * offsets `int(round((size - crop) / 2))` with Python's half-to-even rounding. When the crop is
 * larger than the image, the image is first padded by `(crop - size) // 2` before and
 * `(crop - size + 1) // 2` after with `fill` (torchvision pads with 0; the default here too).
 */
export function centerCrop(img: Image, width: number, height: number, fill: Fill = 0): Image {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`center crop size must be positive integers, got ${width}x${height}`);
  }
  // Padding before = (crop - size) // 2 puts the image at a negative window offset.
  const padLeft = width > img.width ? Math.floor((width - img.width) / 2) : 0;
  const padTop = height > img.height ? Math.floor((height - img.height) / 2) : 0;
  const paddedW = width > img.width ? width : img.width;
  const paddedH = height > img.height ? height : img.height;
  const left = roundHalfEven((paddedW - width) / 2) - padLeft;
  const top = roundHalfEven((paddedH - height) / 2) - padTop;
  return crop(img, left, top, width, height, fill);
}
