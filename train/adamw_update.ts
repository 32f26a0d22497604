/**
 * One AdamW update of one variable as a single kernel, `adamwUpdate`, for train/adamw.ts.
 *
 * The update is about twelve elementwise tf ops per variable; on the wasm backend
 * registerSimdKernels() serves this kernel with csrc/adamw.c in one pass, bit-identical to the
 * op chain. Everywhere else (cpu, webgpu, wasm without the SIMD module) `adamwUpdate` runs that
 * op chain itself, so results there are exactly what they were before the kernel existed.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Kernel: inputs {p, g, m, v} (float32, one shape), attrs AdamWUpdateAttrs; outputs [p, m, v]. */
export const ADAMW_UPDATE = "EdgeclassAdamW";

/**
 * The update's constants as JS numbers; both implementations round each to float32 (tf ops take
 * scalars as float32 tensors, the wasm kernel takes f32 parameters).
 */
export interface AdamWUpdateAttrs {
  /** `1 - lr * weightDecay`, or exactly 1 for a variable without decay (no multiply then). */
  decay: number;
  beta1: number;
  /** `1 - beta1`, computed in float64 before rounding (as the op chain always did). */
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  /** `sqrt(1 - beta2^t)`. */
  bc2Sqrt: number;
  eps: number;
  /** `lr / (1 - beta1^t)`. */
  stepSize: number;
  [key: string]: number;
}

/**
 * The update as tf ops, in the order and grouping train/adamw.ts has always used (the SIMD
 * kernel reproduces exactly this sequence of float32 roundings):
 * p1 = p * decay; m' = m b1 + g (1 - b1); v' = v b2 + g^2 (1 - b2);
 * p' = p1 - m' / (sqrt(v') / bc2Sqrt + eps) * stepSize.
 */
export function adamwUpdateComposite(
  p: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  attrs: AdamWUpdateAttrs,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const p1 = attrs.decay === 1 ? p : tf.mul(p, attrs.decay);
    const m1 = tf.add(tf.mul(m, attrs.beta1), tf.mul(g, attrs.oneMinusBeta1));
    const v1 = tf.add(tf.mul(v, attrs.beta2), tf.mul(tf.square(g), attrs.oneMinusBeta2));
    const denom = tf.add(tf.div(tf.sqrt(v1), attrs.bc2Sqrt), attrs.eps);
    return [tf.sub(p1, tf.mul(tf.div(m1, denom), attrs.stepSize)), m1, v1];
  });
}

/**
 * One AdamW step for one parameter: new parameter, first and second moments, each a new tensor
 * (the inputs are left as they are, since tfjs tensors may share data).
 *
 * @param p parameter, float32, any shape
 * @param g its gradient, m and v its moments: float32, the shape of p
 */
export function adamwUpdate(
  p: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  attrs: AdamWUpdateAttrs,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  for (const [name, t] of [["p", p], ["g", g], ["m", m], ["v", v]] as const) {
    if (t.dtype !== "float32") {
      throw new TypeError(`adamwUpdate: ${name} must be float32, got ${t.dtype}`);
    }
    if (!tf.util.arraysEqual(t.shape, p.shape)) {
      throw new RangeError(`adamwUpdate: ${name} has shape ${t.shape}, p has ${p.shape}`);
    }
  }
  if (tf.getKernel(ADAMW_UPDATE, tf.getBackend()) === undefined) {
    return adamwUpdateComposite(p, g, m, v, attrs);
  }
  return tf.engine().runKernel(
    ADAMW_UPDATE,
    { p, g, m, v },
    attrs as unknown as tf.NamedAttrMap,
  ) as [tf.Tensor, tf.Tensor, tf.Tensor];
}
