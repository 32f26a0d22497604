import { gaussianBlurFixed, type XY } from "./gaussian_blur_fixed.ts";
import type { Transform } from "./transform.ts";

/**
 * `torchvision.transforms.GaussianBlur(kernelSize, sigma)`: blurs with one sigma drawn uniformly
 * from [min, max] (used for both axes; a single number means a fixed sigma). `kernelSize` is
 * odd, one number or `[x, y]`. Draws exactly one number per call.
 */
export function gaussianBlur(
  kernelSize: XY,
  sigma: number | readonly [number, number] = [0.1, 2.0],
): Transform {
  const [lo, hi] = typeof sigma === "number" ? [sigma, sigma] : sigma;
  if (!(lo > 0) || !(lo <= hi) || !Number.isFinite(hi)) {
    throw new RangeError(`sigma must satisfy 0 < min <= max (finite), got [${lo}, ${hi}]`);
  }
  const ks: readonly [number, number] = typeof kernelSize === "number"
    ? [kernelSize, kernelSize]
    : kernelSize;
  for (const k of ks) {
    if (!Number.isInteger(k) || k <= 0 || k % 2 === 0) {
      throw new RangeError(`kernel size must be odd positive integers, got ${k}`);
    }
  }
  return (img, rng) => {
    const s = rng.uniform(lo, hi);
    return gaussianBlurFixed(img, ks, s);
  };
}
