import * as tf from "@tensorflow/tfjs";

/**
 * Scales all gradients together so their global L2 norm is at most `maxNorm`, like PyTorch
 * `clip_grad_norm_` (coefficient `maxNorm / (norm + 1e-6)`, applied only when below 1). Returns
 * new tensors (the caller disposes the inputs) and the norm before clipping.
 */
export function clipGradNorm(
  grads: tf.NamedTensorMap,
  maxNorm: number,
): { grads: tf.NamedTensorMap; norm: number } {
  if (!(maxNorm > 0)) throw new RangeError(`maxNorm must be > 0, got ${maxNorm}`);
  const names = Object.keys(grads);
  const norm = tf.tidy(() => {
    const squares = names.map((n) => tf.sum(tf.square(grads[n])));
    return squares.length === 0 ? 0 : tf.sqrt(tf.addN(squares)).dataSync()[0];
  });
  const coef = maxNorm / (norm + 1e-6);
  const out: tf.NamedTensorMap = {};
  for (const n of names) out[n] = coef < 1 ? tf.mul(grads[n], coef) : tf.clone(grads[n]);
  return { grads: out, norm };
}
