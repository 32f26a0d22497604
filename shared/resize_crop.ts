/**
 * Resize then crop in one step: only the pixels the crop keeps are resampled.
 * @module
 */
import { type Fill, fillPixel } from "./crop.ts";
import { type Image, makeImage } from "./image.ts";
import { type ResizeFilter, resizeWindow } from "./resize.ts";

/** Python's `round()`: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Top-left corner `[left, top]` of the window torchvision's `CenterCrop` takes from a
 * `width` x `height` image (negative where the crop is larger and padding comes in), the same
 * window `centerCrop` (center_crop.ts) cuts: `int(round((size - crop) / 2))` after padding by
 * `(crop - size) // 2` before.
 */
export function centerCropOffsets(
  width: number,
  height: number,
  cropWidth: number,
  cropHeight: number,
): [number, number] {
  const offset = (size: number, want: number) => {
    const padBefore = want > size ? Math.floor((want - size) / 2) : 0;
    return roundHalfEven((Math.max(size, want) - want) / 2) - padBefore;
  };
  return [offset(width, cropWidth), offset(height, cropHeight)];
}

/**
 * `crop(resize(img, width, height, filter), left, top, cropWidth, cropHeight, fill)`, bit for
 * bit, without computing the resized pixels the crop drops (see `resizeWindow`). The window may
 * reach outside the resized image; those pixels are `fill`.
 */
export function resizeCrop(
  img: Image,
  width: number,
  height: number,
  filter: ResizeFilter,
  left: number,
  top: number,
  cropWidth: number,
  cropHeight: number,
  fill: Fill = 0,
): Image {
  for (const [k, v] of Object.entries({ left, top, cropWidth, cropHeight })) {
    if (!Number.isInteger(v)) throw new RangeError(`crop ${k} must be an integer, got ${v}`);
  }
  if (cropWidth < 1 || cropHeight < 1) {
    throw new RangeError(`crop size must be positive, got ${cropWidth}x${cropHeight}`);
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`resize size must be positive integers, got ${width}x${height}`);
  }
  // The part of the window inside the resized image.
  const x0 = Math.max(left, 0);
  const x1 = Math.min(left + cropWidth, width);
  const y0 = Math.max(top, 0);
  const y1 = Math.min(top + cropHeight, height);
  const ch = img.channels;
  const px = fillPixel(fill, ch);
  const covered = x1 > x0 && y1 > y0;
  const inside = covered
    ? resizeWindow(img, width, height, filter, [0, 0, img.width, img.height], {
      left: x0,
      top: y0,
      width: x1 - x0,
      height: y1 - y0,
    })
    : undefined;
  if (inside && x1 - x0 === cropWidth && y1 - y0 === cropHeight) return inside;
  // Padding: the resampled part goes into a window of fill, as crop() does.
  const out = new Uint8Array(cropWidth * cropHeight * ch);
  if (px.some((v) => v !== 0)) {
    for (let i = 0; i < out.length; i += ch) out.set(px, i);
  }
  if (!inside) return makeImage(cropWidth, cropHeight, ch, out);
  const rowLen = (x1 - x0) * ch;
  for (let y = y0; y < y1; y++) {
    const from = (y - y0) * rowLen;
    out.set(inside.data.subarray(from, from + rowLen), ((y - top) * cropWidth + x0 - left) * ch);
  }
  return makeImage(cropWidth, cropHeight, ch, out);
}
