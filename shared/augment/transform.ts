import type { Image } from "../image.ts";
import type { Rng } from "../rng.ts";

/**
 * A random augmentation: draws whatever it needs from `rng` and returns a new image.
 *
 * Transforms never mutate `img`; all randomness comes from `rng`, so the same seed gives
 * the same output (a training run is reproducible from its `Rng` state).
 */
export type Transform = (img: Image, rng: Rng) => Image;
