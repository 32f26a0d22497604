import * as tf from "@tensorflow/tfjs";

/**
 * Scales all gradients together so their global L2 norm is at most `maxNorm`, exactly as
 * PyTorch 1.13's `clip_grad_norm_`: `norm = ||(||g_1||, ..., ||g_n||)||`, every gradient is
 * multiplied by `clamp(maxNorm / (norm + 1e-6), max=1)` (also when that is 1, which leaves it
 * unchanged). Everything stays on the backend as tensors: no read back, which WebGPU under
 * Deno could only do asynchronously, and no pipeline stall in the middle of a step.
 *
 * Returns new tensors, which the caller owns: the clipped gradients (the caller still disposes
 * the inputs) and the norm before clipping as a scalar (0 when `grads` is empty).
 */
export function clipGradNorm(
  grads: tf.NamedTensorMap,
  maxNorm: number,
): { grads: tf.NamedTensorMap; norm: tf.Scalar } {
  if (!(maxNorm > 0)) throw new RangeError(`maxNorm must be > 0, got ${maxNorm}`);
  const names = Object.keys(grads);
  return tf.tidy(() => {
    const l2 = (t: tf.Tensor): tf.Scalar => tf.sqrt(tf.sum(tf.square(t)));
    const norm = names.length === 0 ? tf.scalar(0) : l2(tf.stack(names.map((n) => l2(grads[n]))));
    const coef = tf.minimum(tf.div(tf.scalar(maxNorm), tf.add(norm, 1e-6)), 1);
    const out: tf.NamedTensorMap = {};
    for (const n of names) out[n] = tf.mul(grads[n], coef);
    return { grads: out, norm: norm as tf.Scalar };
  });
}
