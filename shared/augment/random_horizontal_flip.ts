import { checkProbability } from "./check_probability.ts";
import { copyImage } from "./copy_image.ts";
import { hflip } from "./hflip.ts";
import type { Transform } from "./transform.ts";

/**
 * `torchvision.transforms.RandomHorizontalFlip(p)`: mirrors left-right when one uniform draw
 * is below `p`. Draws exactly one number per call.
 */
export function randomHorizontalFlip(p = 0.5): Transform {
  checkProbability(p);
  return (img, rng) => (rng.next() < p ? hflip(img) : copyImage(img));
}
