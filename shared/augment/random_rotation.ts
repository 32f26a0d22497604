import type { Fill } from "../crop.ts";
import { rotate } from "./rotate.ts";
import type { Transform } from "./transform.ts";

/**
 * `torchvision.transforms.RandomRotation(degrees, interpolation=BILINEAR, fill=fill)`: rotates by
 * an angle drawn uniformly from [-degrees, degrees] (or from [min, max] when given a pair),
 * counter-clockwise about the centre, same output size, uncovered corners set to `fill`.
 * Draws exactly one number per call.
 */
export function randomRotation(
  degrees: number | readonly [number, number],
  fill: Fill = 0,
): Transform {
  let lo: number, hi: number;
  if (typeof degrees === "number") {
    if (!(degrees >= 0) || !Number.isFinite(degrees)) {
      throw new RangeError(`degrees must be a finite number >= 0, got ${degrees}`);
    }
    [lo, hi] = [-degrees, degrees];
  } else {
    [lo, hi] = degrees;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
      throw new RangeError(`degrees range must be finite with min <= max, got [${lo}, ${hi}]`);
    }
  }
  return (img, rng) => rotate(img, rng.uniform(lo, hi), fill);
}
