/**
 * Test-only helpers for the random transforms (named *_test.ts so it stays out of the browser
 * build; it registers no tests itself).
 */
import { type Image, makeImage } from "../image.ts";
import { Rng } from "../rng.ts";

/** A w x h RGB image of seeded noise. */
export function noiseImage(w: number, h: number, seed: number, channels: 1 | 3 = 3): Image {
  const rng = new Rng(seed);
  const data = new Uint8Array(w * h * channels);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(0, 255);
  return makeImage(w, h, channels, data);
}

/** The state of `new Rng(seed)` after `draws` calls to `next()`. */
export function stateAfter(seed: number, draws: number): number[] {
  const rng = new Rng(seed);
  for (let i = 0; i < draws; i++) rng.next();
  return rng.state();
}

/**
 * Half-width of an acceptance band for a success frequency over `n` Bernoulli(p) trials:
 * 6 standard deviations (false failure rate ~2e-9 for a good generator), at least 1/n.
 */
export function frequencyBound(p: number, n: number): number {
  return Math.max(6 * Math.sqrt((p * (1 - p)) / n), 1 / n);
}
