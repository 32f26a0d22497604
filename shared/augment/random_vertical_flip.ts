import { checkProbability } from "./check_probability.ts";
import { copyImage } from "./copy_image.ts";
import type { Transform } from "./transform.ts";
import { vflip } from "./vflip.ts";

/**
 * `torchvision.transforms.RandomVerticalFlip(p)`: mirrors top-bottom when one uniform draw
 * is below `p`. Draws exactly one number per call.
 */
export function randomVerticalFlip(p = 0.5): Transform {
  checkProbability(p);
  return (img, rng) => (rng.next() < p ? vflip(img) : copyImage(img));
}
