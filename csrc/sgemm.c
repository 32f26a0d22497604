/*
 * sgemm: C[m x n] = op(A)[m x k] * op(B)[k x n] (+ C), row-major, the BatchMatMul kernel.
 */
#include "simd.h"

/* Floats of scratch `sgemm` needs (packed A block + packed B block). */
EXPORT("sgemm_scratch_floats")
int sgemm_scratch_floats(void) { return MC * KC + KC * NC; }

/*
 * transA: A is stored [k x m] (lda >= m), else [m x k] (lda >= k); likewise transB.
 * accumulate: add into C instead of overwriting it.
 */
EXPORT("sgemm")
void sgemm(int m, int n, int k, const float* a, int lda, int trans_a, const float* b, int ldb,
           int trans_b, float* c, int ldc, int accumulate, float* scratch) {
  float* ap = scratch;
  float* bp = scratch + MC * KC;
  const int a_rs = trans_a ? 1 : lda, a_cs = trans_a ? lda : 1;
  const int b_rs = trans_b ? 1 : ldb, b_cs = trans_b ? ldb : 1;
  if (k == 0) {
    if (!accumulate) {
      for (int i = 0; i < m; i++) __builtin_memset(c + i * ldc, 0, sizeof(float) * n);
    }
    return;
  }
  for (int jc = 0; jc < n; jc += NC) {
    const int nc = min_i(NC, n - jc);
    for (int pc = 0; pc < k; pc += KC) {
      const int kc = min_i(KC, k - pc);
      pack_b_strided(kc, nc, b + pc * b_rs + jc * b_cs, b_rs, b_cs, bp);
      for (int ic = 0; ic < m; ic += MC) {
        const int mc = min_i(MC, m - ic);
        pack_a_strided(mc, kc, a + ic * a_rs + pc * a_cs, a_rs, a_cs, ap);
        gemm_macro(mc, nc, kc, ap, bp, c + ic * ldc + jc, ldc, accumulate || pc > 0);
      }
    }
  }
}

/* c[i, j] = act(c[i, j] + bias[j]) for a row-major [rows x cols] c; bias may be 0. */
EXPORT("bias_activation")
void bias_activation(float* c, int rows, int cols, const float* bias, int relu) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < rows; i++) {
    float* row = c + i * cols;
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
      v128_t v = wasm_v128_load(row + j);
      if (bias) v = wasm_f32x4_add(v, wasm_v128_load(bias + j));
      if (relu) v = wasm_f32x4_max(v, zero);
      wasm_v128_store(row + j, v);
    }
    for (; j < cols; j++) {
      float v = row[j] + (bias ? bias[j] : 0.0f);
      row[j] = relu && v < 0.0f ? 0.0f : v;
    }
  }
}
