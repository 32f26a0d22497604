/**
 * Weight initializers matching torchvision's, with per-layer seeds derived from one model seed.
 *
 * tfjs's built-in VarianceScaling("normal") draws a truncated normal, and its bias initializers
 * cannot see the weight's fan-in, so the torch schemes are spelled out with explicit fans.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Hands out a distinct seed per initializer; all undefined when the model seed is. */
export class InitSeeds {
  #next: number;
  readonly #seeded: boolean;

  constructor(seed?: number) {
    this.#seeded = seed !== undefined;
    // Spread model seeds apart so seed s and s+1 do not share most per-layer seeds.
    this.#next = ((seed ?? 0) * 7919) % 2 ** 31;
  }

  /** The next per-initializer seed, or undefined for an unseeded model. */
  next(): number | undefined {
    if (!this.#seeded) return undefined;
    this.#next = (this.#next + 1) % 2 ** 31;
    return this.#next;
  }
}

type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** torch kaiming_normal_(mode="fan_out", nonlinearity="relu"): N(0, 2 / fan_out). */
export function kaimingNormalFanOut(fanOut: number, seeds: InitSeeds): Initializer {
  return tf.initializers.randomNormal({
    mean: 0,
    stddev: Math.sqrt(2 / fanOut),
    seed: seeds.next(),
  });
}

/** U(-bound, bound); torch's default Conv2d/Linear weight and bias use bound 1/sqrt(fan_in). */
export function uniformBound(bound: number, seeds: InitSeeds): Initializer {
  return tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: seeds.next() });
}

/** torch's default Conv2d / Linear initialization (kaiming_uniform a=sqrt(5)): 1/sqrt(fan_in). */
export function torchDefaultUniform(fanIn: number, seeds: InitSeeds): Initializer {
  return uniformBound(1 / Math.sqrt(fanIn), seeds);
}

/** Zeros (biases in torchvision's resnet/efficientnet init). */
export function zeros(): Initializer {
  return tf.initializers.zeros();
}
