/**
 * Numerically stable softmax.
 * @module
 */

/**
 * `exp(x_i / T - max) / sum_j exp(x_j / T - max)` with the sums in float64, returned as float32.
 * `temperature` (T, > 0) is the calibration temperature from the model metadata.
 * +Infinity logits share all the probability; if every logit is -Infinity the result is
 * uniform; NaN anywhere gives NaN everywhere.
 */
export function softmax(logits: ArrayLike<number>, temperature = 1): Float32Array {
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new RangeError(`temperature must be a positive number, got ${temperature}`);
  }
  const n = logits.length;
  const out = new Float32Array(n);
  if (n === 0) return out;
  let max = -Infinity;
  let hasNaN = false;
  for (let i = 0; i < n; i++) {
    const v = logits[i];
    if (Number.isNaN(v)) hasNaN = true;
    else if (v > max) max = v;
  }
  if (hasNaN) return out.fill(NaN);
  if (max === Infinity || max === -Infinity) {
    // Only the extreme logits can carry probability: split it evenly among them.
    let count = 0;
    for (let i = 0; i < n; i++) if (logits[i] === max) count++;
    for (let i = 0; i < n; i++) out[i] = logits[i] === max ? 1 / count : 0;
    return out;
  }
  const e = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    e[i] = Math.exp((logits[i] - max) / temperature);
    sum += e[i];
  }
  for (let i = 0; i < n; i++) out[i] = e[i] / sum;
  return out;
}
