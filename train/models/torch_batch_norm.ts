/**
 * BatchNormalization with PyTorch's training semantics.
 *
 * tfjs's BatchNormalization uses batch statistics whenever it is called with training=true,
 * even when `trainable` is false (checked in tfjs-layers 4.22 normalization.js: `call` looks
 * only at kwargs.training). A frozen backbone would then keep normalizing with the statistics
 * of each small fine-tuning batch. This subclass:
 * - runs in inference mode (moving statistics) whenever `trainable` is false;
 * - updates the moving variance with the unbiased batch variance, as torch.nn.BatchNorm2d
 *   does for running_var (tfjs uses the biased one).
 *
 * Its className stays "BatchNormalization" and it is registered under that name, so saved
 * models, the ONNX exporter and `tf.loadLayersModel` all see an ordinary BatchNormalization.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { batchNormTrain } from "../simd/batch_norm_train.ts";
import { simdKernelsRegistered } from "../simd/register_simd_kernels.ts";

type BatchNormalization = ReturnType<typeof tf.layers.batchNormalization>;
type BatchNormalizationArgs = NonNullable<Parameters<typeof tf.layers.batchNormalization>[0]>;
// deno-lint-ignore no-explicit-any
type Kwargs = Record<string, any>;

/** The tfjs class is not exported by name; take it from an instance. */
const BatchNormalizationBase = tf.layers.batchNormalization({}).constructor as new (
  args?: BatchNormalizationArgs,
) => BatchNormalization;

/** Fields tfjs declares private; read here to update statistics like torch. */
interface BatchNormInternals {
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
  momentum: number;
  epsilon: number;
}

/** BatchNormalization over the last axis with torch semantics (see module doc). */
export class TorchBatchNorm extends BatchNormalizationBase {
  constructor(args: BatchNormalizationArgs) {
    const axis = args.axis ?? -1;
    if (axis !== -1 || args.center === false || args.scale === false) {
      throw new RangeError(
        "TorchBatchNorm supports only axis -1 with center and scale (like nn.BatchNorm2d)",
      );
    }
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    if (kwargs["training"] !== true || !this.trainable) {
      return super.call(inputs, { ...kwargs, training: false });
    }
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const bn = this as unknown as BatchNormInternals;
      // With the SIMD kernels (the wasm default), one fused kernel; otherwise the plain tf ops.
      const { y, mean, variance } = simdKernelsRegistered()
        ? batchNormTrain(x, bn.gamma.read(), bn.beta.read(), bn.epsilon)
        : plainBatchNormTrain(x, bn);
      const count = x.size / x.shape[x.rank - 1];
      const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
      // Keras momentum m keeps m of the old value: torch momentum is 1 - m.
      const m = bn.momentum;
      bn.movingMean.write(tf.add(tf.mul(bn.movingMean.read(), m), tf.mul(mean, 1 - m)));
      bn.movingVariance.write(
        tf.add(tf.mul(bn.movingVariance.read(), m), tf.mul(unbiased, 1 - m)),
      );
      return y;
    });
  }
}

function plainBatchNormTrain(
  x: tf.Tensor,
  bn: BatchNormInternals,
): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const { mean, variance } = tf.moments(x, [...Array(x.rank - 1).keys()]);
  const y = tf.batchNorm(x, mean, variance, bn.beta.read(), bn.gamma.read(), bn.epsilon);
  return { y, mean, variance };
}

// Deserialized models (checkpoints, tf.loadLayersModel) get the torch semantics too.
tf.serialization.SerializationMap.register(
  TorchBatchNorm as unknown as tf.serialization.SerializableConstructor<
    tf.serialization.Serializable
  >,
);

/**
 * A TorchBatchNorm configured from torch hyper-parameters.
 *
 * @param name layer name (the torchvision module path, e.g. "layer1.0.bn1")
 * @param eps torch eps (nn.BatchNorm2d default 1e-5; tfjs's default 1e-3 would differ)
 * @param torchMomentum torch momentum (default 0.1), converted to Keras' 1 - momentum
 */
export function torchBatchNorm(name: string, eps = 1e-5, torchMomentum = 0.1): TorchBatchNorm {
  return new TorchBatchNorm({ name, epsilon: eps, momentum: 1 - torchMomentum });
}
