/**
 * Loss and gradients of one training-mode step of a seeded model on a seeded random batch, on
 * whatever tfjs backend is active: run it on two backends and compare to check one backend's
 * kernels against another's (train/webgpu_train_test.ts, scripts/gpu_bench_tfjs.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../shared/rng.ts";
import { crossEntropy } from "./loss.ts";
import { type Arch, buildModel } from "./models/build_model.ts";

/** What to build and feed. */
export interface FirstStepSpec {
  arch: Arch;
  numClasses: number;
  /** Height = width of the NHWC input. */
  size: number;
  batch: number;
  /** Seeds the weights, the batch and the dropout masks. */
  seed: number;
}

/** The step's mean cross-entropy and each trainable weight's gradient, by weight name. */
export interface FirstStepResult {
  loss: number;
  /** Keyed by `originalName` (tfjs variable names carry per-process counters). */
  grads: Map<string, Float32Array>;
}

/**
 * Builds the model, runs forward (training mode) + cross-entropy + backward once, reads the
 * results with async `data()` (webgpu has no synchronous reads under Deno) and disposes
 * everything. Dropout draws from Math.random, which points at a seeded generator meanwhile.
 */
export async function firstStepGradients(spec: FirstStepSpec): Promise<FirstStepResult> {
  const { arch, numClasses, size, batch, seed } = spec;
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: batch * size * size * 3 }, () => rng.normal()); // [N,H,W,3]
  const y = Int32Array.from({ length: batch }, (_, i) => i % numClasses);
  const model = buildModel({ arch, numClasses, inputSize: size, seed });
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const dropoutRng = new Rng(seed + 1);
  const original = Math.random;
  Math.random = () => dropoutRng.next();
  let value: tf.Scalar, grads: tf.NamedTensorMap;
  try {
    ({ value, grads } = tf.variableGrads(() => {
      const logits = model.apply(tf.tensor4d(x, [batch, size, size, 3]), { training: true });
      return crossEntropy(logits as tf.Tensor2D, tf.tensor1d(y, "int32"), 0);
    }, vars));
  } finally {
    Math.random = original;
  }
  const out = new Map<string, Float32Array>();
  for (const [i, w] of model.trainableWeights.entries()) {
    out.set(w.originalName, await grads[vars[i].name].data() as Float32Array);
  }
  const loss = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads)]);
  model.dispose();
  return { loss, grads: out };
}

/** Per weight: L2 norm of `ref` and L2 distance of `got` from it. */
export function compareGradients(
  got: FirstStepResult,
  ref: FirstStepResult,
): { name: string; refNorm: number; distance: number }[] {
  return [...ref.grads].map(([name, r]) => {
    const g = got.grads.get(name);
    if (g === undefined || g.length !== r.length) {
      throw new RangeError(`gradient '${name}' is missing or has another size`);
    }
    let norm = 0, dist = 0;
    for (let i = 0; i < r.length; i++) {
      norm += r[i] * r[i];
      dist += (g[i] - r[i]) ** 2;
    }
    return { name, refNorm: Math.sqrt(norm), distance: Math.sqrt(dist) };
  });
}
