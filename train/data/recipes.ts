import {
  colorJitter,
  compose,
  gaussianBlur,
  randomGrayscale,
  randomHorizontalFlip,
  randomResizedCrop,
  randomRotation,
  randomVerticalFlip,
  rotate,
  type Transform,
} from "../../shared/augment/mod.ts";
import { resize } from "../../shared/resize.ts";

export { classCounts, classWeights } from "./class_weights.ts";
export { balancedIndices } from "./balanced_sampler.ts";

/** Named augmentation recipes for training (`--augment`). */
export type Recipe = "basic" | "strong" | "pretrained" | "none";

/** What the recipe is for; see `trainTransform`. */
export interface RecipeOptions {
  /** `wafer` maps: any orientation is valid and colour carries the label (default `photo`). */
  domain?: "photo" | "wafer";
  /** RGB for pixels uncovered by rotation (default black; use the dataset's `fill`). */
  fill?: [number, number, number];
}

/** Exact bilinear resize to `size` x `size` (torchvision `Resize((size, size))`). */
function resizeTo(size: number): Transform {
  return (img) => (img.width === size && img.height === size ? img : resize(img, size, size));
}

/** `RandomApply([t], p)`: runs `t` with probability `p`. */
function randomApply(t: Transform, p: number): Transform {
  return (img, rng) => (rng.next() < p ? t(img, rng) : img);
}

/** A rotation by 0, 90, 180 or 270 degrees, each equally likely; lossless (no resampling). */
function randomQuarterTurn(): Transform {
  return (img, rng) => {
    const k = Math.floor(rng.next() * 4);
    return k === 0 ? img : rotate(img, 90 * k);
  };
}

/**
 * The training augmentation of a recipe, ending at `size` x `size` (the loader's final resize is
 * then a no-op). `none` gives `undefined`. Photos follow the seed PyTorch recipes:
 * - basic: Resize((size, size)), RandomHorizontalFlip, RandomRotation(10);
 * - strong: RandomResizedCrop(size, scale=(0.8, 1)), RandomHorizontalFlip, RandomRotation(15),
 *   ColorJitter(0.2, 0.2, 0.2, 0.05), RandomGrayscale(0.05), GaussianBlur (kernel ~size/10,
 *   sigma 0.1-2) with p=0.1; no vertical flip, because photos have an up;
 * - pretrained: RandomResizedCrop(size), RandomHorizontalFlip, ColorJitter(0.4, 0.4, 0.4).
 *
 * Wafer maps have no preferred orientation, and their colours encode pass/fail, so their recipes
 * use every flip and rotation but never touch colour or blur:
 * - basic: Resize, horizontal + vertical flips, a random quarter turn (the 8 lossless symmetries);
 * - strong and pretrained: Resize, both flips, RandomRotation(180) filled with the background
 *   colour (the wafer is round, so any angle is a real wafer), then
 *   RandomResizedCrop(size, scale=(0.9, 1), ratio=(0.9, 1.1)) for slight zoom and stretch.
 */
export function trainTransform(
  recipe: Recipe,
  size: number,
  opts: RecipeOptions = {},
): Transform | undefined {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`image size ${size} is invalid`);
  const fill = opts.fill ?? [0, 0, 0];
  const domain = opts.domain ?? "photo";
  if (domain !== "photo" && domain !== "wafer") {
    throw new RangeError(`recipe domain must be photo or wafer, got '${domain}'`);
  }
  if (recipe === "none") return undefined;
  if (domain === "wafer") {
    switch (recipe) {
      case "basic":
        return compose(
          resizeTo(size),
          randomHorizontalFlip(0.5),
          randomVerticalFlip(0.5),
          randomQuarterTurn(),
        );
      case "strong":
      case "pretrained":
        return compose(
          resizeTo(size),
          randomHorizontalFlip(0.5),
          randomVerticalFlip(0.5),
          randomRotation(180, fill),
          randomResizedCrop(size, { scale: [0.9, 1], ratio: [0.9, 1.1] }),
        );
    }
  } else {
    switch (recipe) {
      case "basic":
        return compose(resizeTo(size), randomHorizontalFlip(0.5), randomRotation(10, fill));
      case "strong": {
        const kernel = Math.max(3, Math.round(size / 10) | 1);
        return compose(
          randomResizedCrop(size, { scale: [0.8, 1] }),
          randomHorizontalFlip(0.5),
          randomRotation(15, fill),
          colorJitter({ brightness: 0.2, contrast: 0.2, saturation: 0.2, hue: 0.05 }),
          randomGrayscale(0.05),
          randomApply(gaussianBlur(kernel, [0.1, 2]), 0.1),
        );
      }
      case "pretrained":
        return compose(
          randomResizedCrop(size),
          randomHorizontalFlip(0.5),
          colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4 }),
        );
    }
  }
  throw new RangeError(`unknown augmentation recipe '${recipe}' (basic, strong, pretrained, none)`);
}
