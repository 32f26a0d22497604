import * as tf from "@tensorflow/tfjs";

/**
 * Mean cross-entropy of `logits` [N, K] against integer `labels` [N], with optional label
 * smoothing `epsilon`: the target is `(1 - epsilon) * onehot + epsilon / K`, which is exactly
 * PyTorch `F.cross_entropy(logits, labels, label_smoothing=epsilon)`. Uses log-softmax, so large
 * logits do not overflow. Differentiable (use inside `tf.variableGrads`).
 */
export function crossEntropy(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  epsilon = 0,
): tf.Scalar {
  if (!(epsilon >= 0 && epsilon < 1)) {
    throw new RangeError(`label smoothing must be in [0, 1), got ${epsilon}`);
  }
  return tf.tidy(() => {
    const numClasses = logits.shape[1];
    const logProbs = tf.logSoftmax(logits); // [N, K]
    const onehot = tf.oneHot(tf.cast(labels, "int32"), numClasses).toFloat(); // [N, K]
    const target = epsilon === 0 ? onehot : onehot.mul(1 - epsilon).add(epsilon / numClasses);
    const perSample = tf.neg(tf.sum(tf.mul(target, logProbs), 1)); // [N]
    return tf.mean(perSample) as tf.Scalar;
  });
}
