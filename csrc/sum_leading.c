/*
 * Column sums of a row-major [rows x cols] matrix: Sum/Mean over a tensor's leading axes
 * (the per-channel reductions of BatchNorm and bias gradients over NHWC).
 */
#include "simd.h"

/* Rows summed into a partial before it is added to the total (blocked summation keeps the
 * float32 error near that of pairwise summation without a second pass). */
#define ROW_BLOCK 64

/* out[j] = scale * sum over i of x[i*cols + j]; scratch holds cols floats. */
EXPORT("sum_leading")
void sum_leading(const float* x, float* out, int rows, int cols, float scale, float* scratch) {
  __builtin_memset(out, 0, sizeof(float) * cols);
  for (int r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    const int r1 = min_i(rows, r0 + ROW_BLOCK);
    __builtin_memset(scratch, 0, sizeof(float) * cols);
    for (int r = r0; r < r1; r++) {
      const float* row = x + r * cols;
      int j = 0;
      for (; j + 4 <= cols; j += 4) {
        wasm_v128_store(scratch + j,
                        wasm_f32x4_add(wasm_v128_load(scratch + j), wasm_v128_load(row + j)));
      }
      for (; j < cols; j++) scratch[j] += row[j];
    }
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
      wasm_v128_store(out + j, wasm_f32x4_add(wasm_v128_load(out + j), wasm_v128_load(scratch + j)));
    }
    for (; j < cols; j++) out[j] += scratch[j];
  }
  if (scale != 1.0f) {
    for (int j = 0; j < cols; j++) out[j] *= scale;
  }
}
