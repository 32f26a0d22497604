import { checkProbability } from "./check_probability.ts";
import { copyImage } from "./copy_image.ts";
import { rgbToGrayscale } from "./rgb_to_grayscale.ts";
import type { Transform } from "./transform.ts";

/**
 * `torchvision.transforms.RandomGrayscale(p)`: with probability `p` replaces an RGB image by its
 * grayscale version, still 3 channels (R = G = B) so the model input shape is unchanged. Draws
 * exactly one number per call.
 */
export function randomGrayscale(p = 0.1): Transform {
  checkProbability(p);
  return (img, rng) => (rng.next() < p ? rgbToGrayscale(img, 3) : copyImage(img));
}
