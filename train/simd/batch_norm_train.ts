/**
 * Training-mode batch normalisation as one differentiable kernel, `batchNormTrain`, for
 * train/models/torch_batch_norm.ts to use instead of tf.moments + tf.batchNorm.
 *
 * The op chain makes about 30 full passes over the activation per layer in forward + backward
 * (moments, the FusedBatchNorm gradient's Tile/Mul/Sum, the moments gradient's broadcasts);
 * on the wasm backend registerSimdKernels() serves this kernel with csrc/batch_norm_train.c in
 * four. Every other backend (and wasm without the SIMD module) gets a composite of tf ops with
 * the same maths, registered on first use.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Kernel: inputs {x, gamma, beta}, attrs {epsilon}; outputs [y, mean, variance]. */
export const BATCH_NORM_TRAIN = "EdgeclassBatchNormTrain";
/**
 * Kernel: inputs {dy, x, gamma, mean, variance, dmean, dvariance}, attrs {epsilon};
 * outputs [dx, dgamma, dbeta].
 */
export const BATCH_NORM_TRAIN_GRAD = "EdgeclassBatchNormTrainGrad";

/** Attrs of both kernels. */
export interface BatchNormTrainAttrs {
  epsilon: number;
  [key: string]: number;
}

/** Axes reduced for per-channel statistics: all but the last. */
function leadingAxes(rank: number): number[] {
  return [...Array(rank - 1).keys()];
}

function asTensor<T extends tf.Tensor>(info: tf.TensorInfo): T {
  return (info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info)) as T;
}

/** Forward with tf ops: biased batch statistics over all but the last axis. */
export function batchNormTrainComposite(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, leadingAxes(x.rank));
    const y = tf.batchNorm(x, mean, variance, beta, gamma, epsilon);
    return [y, mean, variance];
  });
}

/**
 * Backward with tf ops (closed form, see csrc/batch_norm_train.c):
 * dx = A dy + B (x - mean) + C per channel.
 */
export function batchNormTrainGradComposite(
  dy: tf.Tensor,
  x: tf.Tensor,
  gamma: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  dmean: tf.Tensor,
  dvariance: tf.Tensor,
  epsilon: number,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const axes = leadingAxes(x.rank);
    const n = x.size / x.shape[x.rank - 1];
    const s = tf.rsqrt(tf.add(variance, epsilon));
    const xm = tf.sub(x, mean);
    const dbeta = tf.sum(dy, axes);
    const sumDyXm = tf.sum(tf.mul(dy, xm), axes);
    const dgamma = tf.mul(sumDyXm, s);
    const gs = tf.mul(gamma, s);
    const a = gs;
    const b = tf.add(
      tf.mul(tf.mul(tf.mul(gs, tf.square(s)), sumDyXm), -1 / n),
      tf.mul(dvariance, 2 / n),
    );
    const c = tf.add(tf.mul(tf.mul(gs, dbeta), -1 / n), tf.mul(dmean, 1 / n));
    const dx = tf.add(tf.add(tf.mul(a, dy), tf.mul(b, xm)), c);
    return [dx, dgamma, dbeta];
  });
}

const compositeForward: tf.KernelFunc = ({ inputs, attrs }) => {
  const { x, gamma, beta } = inputs as unknown as Record<string, tf.TensorInfo>;
  const { epsilon } = attrs as unknown as BatchNormTrainAttrs;
  return batchNormTrainComposite(asTensor(x), asTensor(gamma), asTensor(beta), epsilon);
};

const compositeBackward: tf.KernelFunc = ({ inputs, attrs }) => {
  const t = inputs as unknown as Record<string, tf.TensorInfo>;
  const { epsilon } = attrs as unknown as BatchNormTrainAttrs;
  return batchNormTrainGradComposite(
    asTensor(t.dy),
    asTensor(t.x),
    asTensor(t.gamma),
    asTensor(t.mean),
    asTensor(t.variance),
    asTensor(t.dmean),
    asTensor(t.dvariance),
    epsilon,
  );
};

tf.registerGradient({
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ["x", "gamma"],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dy, dmean, dvariance] = dys as tf.Tensor[];
    const [x, gamma, mean, variance] = saved;
    // One kernel call yields all three; made here, not inside the per-input closures, because
    // the engine runs each closure in its own tidy (which would dispose the other two).
    const [dx, dgamma, dbeta] = tf.engine().runKernel(
      BATCH_NORM_TRAIN_GRAD,
      { dy, x, gamma, mean, variance, dmean, dvariance },
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
});

/** Registers the composite kernels for `backend` where it has none yet. */
function ensureKernels(backend: string): void {
  for (
    const [kernelName, kernelFunc] of [
      [BATCH_NORM_TRAIN, compositeForward],
      [BATCH_NORM_TRAIN_GRAD, compositeBackward],
    ] as const
  ) {
    if (tf.getKernel(kernelName, backend) === undefined) {
      tf.registerKernel({ kernelName, backendName: backend, kernelFunc });
    }
  }
}

/**
 * Batch normalisation with batch statistics over all but the last axis (torch BatchNorm2d in
 * training mode on NHWC): y = gamma * (x - mean) / sqrt(variance + epsilon) + beta.
 * Differentiable in x, gamma and beta (and through mean and variance).
 *
 * @param x float32 [..., C]
 * @param gamma scale [C]
 * @param beta offset [C]
 * @returns y (shape of x), and the biased batch mean and variance [C]
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const c = x.shape[x.rank - 1];
  if (x.rank < 2 || gamma.size !== c || beta.size !== c) {
    throw new RangeError(
      `batchNormTrain: x ${x.shape} needs rank >= 2 and gamma/beta of its last dim (${c}); ` +
        `got ${gamma.shape} and ${beta.shape}`,
    );
  }
  ensureKernels(tf.getBackend());
  const attrs: BatchNormTrainAttrs = { epsilon };
  const [y, mean, variance] = tf.engine().runKernel(
    BATCH_NORM_TRAIN,
    { x, gamma: tf.reshape(gamma, [c]), beta: tf.reshape(beta, [c]) },
    attrs as unknown as tf.NamedAttrMap,
  ) as tf.Tensor[];
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
