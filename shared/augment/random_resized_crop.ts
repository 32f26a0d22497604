import type { Image } from "../image.ts";
import type { Rng } from "../rng.ts";
import type { ResizeFilter } from "../resize.ts";
import { type CropBox, resizedCrop } from "./resized_crop.ts";
import type { Transform } from "./transform.ts";

/** Options of `randomResizedCrop`, with torchvision's defaults. */
export interface RandomResizedCropOptions {
  /** Crop area as a fraction of the image area, [min, max]; default [0.08, 1]. */
  scale?: readonly [number, number];
  /** Crop aspect ratio width / height, [min, max], sampled log-uniformly; default [3/4, 4/3]. */
  ratio?: readonly [number, number];
  /** Resampling filter for the final resize; default "bilinear". */
  filter?: ResizeFilter;
}

/** Python's round(): nearest integer, ties to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * torchvision 0.14 `RandomResizedCrop.get_params`: up to 10 tries of an area fraction drawn
 * from `scale` and a log-uniform aspect ratio from `ratio`; the first crop that fits gets a
 * uniform position. If none fits, a centred crop of the whole image clamped to the ratio range.
 * `ratio` must be ordered (min <= max); `randomResizedCrop` checks that.
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
  rng: Rng,
): CropBox {
  const area = width * height;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(0, height - h);
      const left = rng.int(0, width - w);
      return { left, top, width: w, height: h };
    }
  }
  // Fallback to a central crop, clamped to the ratio range.
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) h = roundHalfEven(w / ratio[0]);
  else if (inRatio > ratio[1]) w = roundHalfEven(h * ratio[1]);
  return {
    left: Math.floor((width - w) / 2),
    top: Math.floor((height - h) / 2),
    width: w,
    height: h,
  };
}

/**
 * `torchvision.transforms.RandomResizedCrop(size, scale, ratio)`: crops a random region (see
 * `randomResizedCropBox`) and resizes it to `size` (a number means square). The usual
 * ImageNet training crop.
 */
export function randomResizedCrop(
  size: number | { width: number; height: number },
  options: RandomResizedCropOptions = {},
): Transform {
  const { width: outW, height: outH } = typeof size === "number"
    ? { width: size, height: size }
    : size;
  if (!Number.isInteger(outW) || !Number.isInteger(outH) || outW < 1 || outH < 1) {
    throw new RangeError(`output size must be positive integers, got ${outW}x${outH}`);
  }
  const scale = options.scale ?? [0.08, 1.0];
  const ratio = options.ratio ?? [3 / 4, 4 / 3];
  const filter = options.filter ?? "bilinear";
  if (!(scale[0] > 0 && scale[0] <= scale[1] && Number.isFinite(scale[1]))) {
    throw new RangeError(`scale must satisfy 0 < min <= max, got [${scale[0]}, ${scale[1]}]`);
  }
  if (!(ratio[0] > 0 && ratio[0] <= ratio[1] && Number.isFinite(ratio[1]))) {
    throw new RangeError(`ratio must satisfy 0 < min <= max, got [${ratio[0]}, ${ratio[1]}]`);
  }
  return (img: Image, rng: Rng) => {
    const box = randomResizedCropBox(img.width, img.height, scale, ratio, rng);
    return resizedCrop(img, box, outW, outH, filter);
  };
}
