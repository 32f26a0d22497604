import type { Transform } from "./transform.ts";
import { copyImage } from "./copy_image.ts";

/**
 * Chains transforms left to right, like `torchvision.transforms.Compose`. They share one `rng`,
 * so the draws happen in the listed order and the result depends only on the seed.
 */
export function compose(...transforms: readonly Transform[]): Transform {
  const steps = transforms.slice();
  return (img, rng) => {
    let out = img;
    for (const step of steps) out = step(out, rng);
    // An empty chain still returns a new image: callers may own and mutate what they get back.
    return out === img ? copyImage(img) : out;
  };
}
