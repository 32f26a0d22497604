/*
 * Training-mode batch normalisation over the last axis of a row-major [rows x cols] view
 * (NHWC: rows = N*H*W, cols = C), fused into two passes forward and two backward, where the
 * tfjs op chain (moments + batchNorm and their gradients) makes about 30 full passes.
 *
 * Forward:  mean, var (biased) per column; y = gamma * (x - mean) * s + beta, s = 1/sqrt(var+eps).
 * Backward: with dbeta = sum(dy), dgamma = sum(dy * (x - mean) * s) and the (normally zero)
 * incoming gradients dmean, dvar of the mean and variance outputs,
 *   dx = A dy + B (x - mean) + C,  A = gamma s,
 *   B = -gamma s^3 sum(dy (x - mean)) / N + 2 dvar / N,  C = -gamma s dbeta / N + dmean / N.
 */
#include "simd.h"

/* Rows summed into a partial before it joins the total (blocked summation). */
#define ROW_BLOCK 64

/* out[j] = sum_i x[i, j] (or sum_i (x[i, j] - center[j])^2 when square). */
static void column_sums(const float* x, int rows, int cols, const float* center, int square,
                        float* out, float* partial) {
  __builtin_memset(out, 0, sizeof(float) * cols);
  for (int r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    const int r1 = min_i(rows, r0 + ROW_BLOCK);
    __builtin_memset(partial, 0, sizeof(float) * cols);
    for (int r = r0; r < r1; r++) {
      const float* row = x + r * cols;
      int j = 0;
      if (square) {
        for (; j + 4 <= cols; j += 4) {
          const v128_t d = wasm_f32x4_sub(wasm_v128_load(row + j), wasm_v128_load(center + j));
          wasm_v128_store(partial + j, MADD(d, d, wasm_v128_load(partial + j)));
        }
        for (; j < cols; j++) partial[j] += (row[j] - center[j]) * (row[j] - center[j]);
      } else {
        for (; j + 4 <= cols; j += 4) {
          wasm_v128_store(partial + j,
                          wasm_f32x4_add(wasm_v128_load(partial + j), wasm_v128_load(row + j)));
        }
        for (; j < cols; j++) partial[j] += row[j];
      }
    }
    for (int j = 0; j < cols; j++) out[j] += partial[j];
  }
}

/* Scratch floats the two entry points need. */
EXPORT("batch_norm_scratch_floats")
int batch_norm_scratch_floats(int cols) { return 6 * cols; }

EXPORT("batch_norm_train_forward")
void batch_norm_train_forward(const float* x, const float* gamma, const float* beta, int rows,
                              int cols, float eps, float* y, float* mean, float* var,
                              float* scratch) {
  float* partial = scratch;
  float* scale = scratch + cols;
  float* shift = scratch + 2 * cols;
  const float inv_rows = 1.0f / (float)rows;
  column_sums(x, rows, cols, 0, 0, mean, partial);
  for (int j = 0; j < cols; j++) mean[j] *= inv_rows;
  column_sums(x, rows, cols, mean, 1, var, partial);
  for (int j = 0; j < cols; j++) {
    var[j] *= inv_rows;
    const float s = 1.0f / __builtin_sqrtf(var[j] + eps);
    scale[j] = gamma[j] * s;
    shift[j] = beta[j] - mean[j] * scale[j];
  }
  for (int r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
      wasm_v128_store(yr + j, MADD(wasm_v128_load(xr + j), wasm_v128_load(scale + j),
                                   wasm_v128_load(shift + j)));
    }
    for (; j < cols; j++) yr[j] = xr[j] * scale[j] + shift[j];
  }
}

/* dmean and dvar may be 0 (no gradient flowing into those outputs). */
EXPORT("batch_norm_train_backward")
void batch_norm_train_backward(const float* dy, const float* x, const float* gamma,
                               const float* mean, const float* var, const float* dmean,
                               const float* dvar, int rows, int cols, float eps, float* dx,
                               float* dgamma, float* dbeta, float* scratch) {
  float* part_dy = scratch;
  float* part_dyxm = scratch + cols;
  float* sum_dyxm = scratch + 2 * cols;
  float* a = scratch + 3 * cols;
  float* b = scratch + 4 * cols;
  float* c = scratch + 5 * cols;
  __builtin_memset(dbeta, 0, sizeof(float) * cols);
  __builtin_memset(sum_dyxm, 0, sizeof(float) * cols);
  for (int r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    const int r1 = min_i(rows, r0 + ROW_BLOCK);
    __builtin_memset(part_dy, 0, sizeof(float) * 2 * cols);
    for (int r = r0; r < r1; r++) {
      const float* g = dy + r * cols;
      const float* xr = x + r * cols;
      int j = 0;
      for (; j + 4 <= cols; j += 4) {
        const v128_t gv = wasm_v128_load(g + j);
        const v128_t d = wasm_f32x4_sub(wasm_v128_load(xr + j), wasm_v128_load(mean + j));
        wasm_v128_store(part_dy + j, wasm_f32x4_add(wasm_v128_load(part_dy + j), gv));
        wasm_v128_store(part_dyxm + j, MADD(gv, d, wasm_v128_load(part_dyxm + j)));
      }
      for (; j < cols; j++) {
        part_dy[j] += g[j];
        part_dyxm[j] += g[j] * (xr[j] - mean[j]);
      }
    }
    for (int j = 0; j < cols; j++) {
      dbeta[j] += part_dy[j];
      sum_dyxm[j] += part_dyxm[j];
    }
  }
  const float inv_rows = 1.0f / (float)rows;
  for (int j = 0; j < cols; j++) {
    const float s = 1.0f / __builtin_sqrtf(var[j] + eps);
    dgamma[j] = sum_dyxm[j] * s;
    a[j] = gamma[j] * s;
    b[j] = -gamma[j] * s * s * s * sum_dyxm[j] * inv_rows + (dvar ? 2.0f * dvar[j] * inv_rows : 0.0f);
    c[j] = -gamma[j] * s * dbeta[j] * inv_rows + (dmean ? dmean[j] * inv_rows : 0.0f);
  }
  for (int r = 0; r < rows; r++) {
    const float* g = dy + r * cols;
    const float* xr = x + r * cols;
    float* d = dx + r * cols;
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
      const v128_t xm = wasm_f32x4_sub(wasm_v128_load(xr + j), wasm_v128_load(mean + j));
      v128_t v = MADD(wasm_v128_load(g + j), wasm_v128_load(a + j), wasm_v128_load(c + j));
      wasm_v128_store(d + j, MADD(xm, wasm_v128_load(b + j), v));
    }
    for (; j < cols; j++) d[j] = a[j] * g[j] + b[j] * (xr[j] - mean[j]) + c[j];
  }
}
