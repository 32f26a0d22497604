import { assert } from "../../shared/assert.ts";
import type { BatchNormParams } from "./layer_converter.ts";

/**
 * Folds an inference BatchNormalization that follows a convolution into the convolution:
 * with `s = gamma / sqrt(var + eps)`, `W'[o] = W[o] * s[o]` and `b' = (b - mean) * s + beta`.
 * `weightOihw` is [out, ...] (any trailing layout); `bias` may be absent (treated as 0).
 * Arithmetic is float64, rounded once to float32 at the end.
 */
export function foldBatchNorm(
  weightOihw: Float32Array,
  bias: Float32Array | undefined,
  outChannels: number,
  bn: BatchNormParams,
): { weight: Float32Array; bias: Float32Array } {
  assert(weightOihw.length % outChannels === 0, "weight does not split into output channels");
  for (const [k, v] of Object.entries({ ...bn, epsilon: undefined })) {
    if (v) assert(v.length === outChannels, `batch norm ${k} has ${v.length} != ${outChannels}`);
  }
  const perChannel = weightOihw.length / outChannels;
  const weight = new Float32Array(weightOihw.length);
  const folded = new Float32Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    const s = bn.gamma[o] / Math.sqrt(bn.variance[o] + bn.epsilon);
    for (let j = 0; j < perChannel; j++) {
      weight[o * perChannel + j] = weightOihw[o * perChannel + j] * s;
    }
    folded[o] = ((bias ? bias[o] : 0) - bn.mean[o]) * s + bn.beta[o];
  }
  return { weight, bias: folded };
}
