/**
 * torchvision's StochasticDepth(p, "row") as a tfjs Dropout with noiseShape [N, 1, 1, 1]:
 * each sample's residual branch is zeroed with probability p, survivors scaled by 1/(1-p);
 * identity at inference.
 *
 * The subclass adds one rule: a frozen (trainable=false) layer is the identity in training
 * mode too, so a frozen backbone is a fixed feature extractor (like torch's backbone.eval()).
 * The className stays "Dropout" (the exporter and loaders treat it as inference identity).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

type Dropout = ReturnType<typeof tf.layers.dropout>;
type DropoutArgs = Parameters<typeof tf.layers.dropout>[0];
// deno-lint-ignore no-explicit-any
type Kwargs = Record<string, any>;

/** The tfjs class is not exported by name; take it from an instance. */
const DropoutBase = tf.layers.dropout({ rate: 0 }).constructor as new (
  args: DropoutArgs,
) => Dropout;

/** Dropout that is the identity while frozen (see module doc). */
export class FreezableDropout extends DropoutBase {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    if (!this.trainable) return super.call(inputs, { ...kwargs, training: false });
    return super.call(inputs, kwargs);
  }
}

// Deserialized models keep the frozen-means-identity rule.
tf.serialization.SerializationMap.register(
  FreezableDropout as unknown as tf.serialization.SerializableConstructor<
    tf.serialization.Serializable
  >,
);

/**
 * StochasticDepth(rate, "row") named `name` (torchvision `<block>.stochastic_depth`).
 * @param rate drop probability of the whole residual branch per sample
 */
export function stochasticDepth(name: string, rate: number): FreezableDropout {
  // null keeps the batch dimension: one keep/drop decision per sample.
  return new FreezableDropout({ name, rate, noiseShape: [null, 1, 1, 1] as unknown as number[] });
}
