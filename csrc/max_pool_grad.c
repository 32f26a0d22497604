/*
 * MaxPoolGrad (NHWC, dilation 1) with the tfjs CPU backend's tie rule: within each window the
 * gradient goes to the first in-image position, in row-major window order, whose value is
 * strictly greater than everything before it (a window of only -inf/NaN gets nothing).
 */
#include "simd.h"

/* dx [n, h, w, c] from x [n, h, w, c] and dy [n, oh, ow, c]. */
EXPORT("max_pool_grad")
void max_pool_grad(const float* x, const float* dy, float* dx, int n, int h, int w, int c,
                   int oh, int ow, int fh, int fw, int sh, int sw, int pad_top, int pad_left) {
  __builtin_memset(dx, 0, sizeof(float) * n * h * w * c);
  for (int b = 0; b < n; b++) {
    const float* xb = x + b * h * w * c;
    float* dxb = dx + b * h * w * c;
    for (int y = 0; y < oh; y++) {
      const int r0 = y * sh - pad_top;
      const int rlo = max_i(r0, 0), rhi = min_i(r0 + fh, h);
      for (int xo = 0; xo < ow; xo++) {
        const int c0 = xo * sw - pad_left;
        const int clo = max_i(c0, 0), chi = min_i(c0 + fw, w);
        const float* g = dy + ((b * oh + y) * ow + xo) * c;
        int k = 0;
        for (; k + 4 <= c; k += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          v128_t pos = wasm_i32x4_splat(-1);
          for (int r = rlo; r < rhi; r++) {
            for (int s = clo; s < chi; s++) {
              const v128_t v = wasm_v128_load(xb + (r * w + s) * c + k);
              const v128_t gt = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, gt);
              pos = wasm_v128_bitselect(wasm_i32x4_splat(r * w + s), pos, gt);
            }
          }
          const v128_t gv = wasm_v128_load(g + k);
          for (int r = rlo; r < rhi; r++) {
            for (int s = clo; s < chi; s++) {
              const v128_t hit = wasm_i32x4_eq(pos, wasm_i32x4_splat(r * w + s));
              float* d = dxb + (r * w + s) * c + k;
              wasm_v128_store(d, wasm_f32x4_add(wasm_v128_load(d), wasm_v128_and(gv, hit)));
            }
          }
        }
        for (; k < c; k++) {
          float best = -__builtin_inff();
          int pos = -1;
          for (int r = rlo; r < rhi; r++) {
            for (int s = clo; s < chi; s++) {
              const float v = xb[(r * w + s) * c + k];
              if (v > best) {
                best = v;
                pos = r * w + s;
              }
            }
          }
          if (pos >= 0) dxb[pos * c + k] += g[k];
        }
      }
    }
  }
}
