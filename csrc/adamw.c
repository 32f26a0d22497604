/*
 * One fused AdamW update (train/adamw_update.ts), in one pass over p, g, m, v where the tfjs op
 * chain of train/adamw.ts makes about twelve.
 *
 * Each element goes through exactly the float32 operations of that chain, in its order, each
 * rounded to float32 (tfjs rounds after every op):
 *   p1 = p * decay
 *   m' = (m * beta1) + (g * one_minus_beta1)
 *   v' = (v * beta2) + ((g * g) * one_minus_beta2)
 *   p' = p1 - ((m' / ((sqrt(v') / bc2_sqrt) + eps)) * step_size)
 * wasm's f32 / f32x4 add, mul, div and sqrt are IEEE, so the result is bit-identical to the
 * chain on tfjs's cpu and wasm backends. That rules out FMA: contraction is switched off below
 * (clang may otherwise fuse a * b + c into relaxed_madd, which rounds once).
 */
#include "simd.h"

#pragma STDC FP_CONTRACT OFF

EXPORT("adamw_update")
void adamw_update(const float* p, const float* g, const float* m, const float* v, int n,
                  float decay, float beta1, float one_minus_beta1, float beta2,
                  float one_minus_beta2, float bc2_sqrt, float eps, float step_size, float* p_out,
                  float* m_out, float* v_out) {
  const v128_t vdecay = wasm_f32x4_splat(decay);
  const v128_t vb1 = wasm_f32x4_splat(beta1);
  const v128_t vb1c = wasm_f32x4_splat(one_minus_beta1);
  const v128_t vb2 = wasm_f32x4_splat(beta2);
  const v128_t vb2c = wasm_f32x4_splat(one_minus_beta2);
  const v128_t vbc2 = wasm_f32x4_splat(bc2_sqrt);
  const v128_t veps = wasm_f32x4_splat(eps);
  const v128_t vstep = wasm_f32x4_splat(step_size);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gi = wasm_v128_load(g + i);
    const v128_t p1 = wasm_f32x4_mul(wasm_v128_load(p + i), vdecay);
    const v128_t mi =
        wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), vb1), wasm_f32x4_mul(gi, vb1c));
    const v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), vb2),
                                     wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), vb2c));
    const v128_t denom = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(vi), vbc2), veps);
    wasm_v128_store(m_out + i, mi);
    wasm_v128_store(v_out + i, vi);
    wasm_v128_store(p_out + i,
                    wasm_f32x4_sub(p1, wasm_f32x4_mul(wasm_f32x4_div(mi, denom), vstep)));
  }
  for (; i < n; i++) {
    const float gi = g[i];
    const float p1 = p[i] * decay;
    const float mi = m[i] * beta1 + gi * one_minus_beta1;
    const float vi = v[i] * beta2 + (gi * gi) * one_minus_beta2;
    const float denom = __builtin_sqrtf(vi) / bc2_sqrt + eps;
    m_out[i] = mi;
    v_out[i] = vi;
    p_out[i] = p1 - (mi / denom) * step_size;
  }
}
