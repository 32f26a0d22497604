/*
 * Gradients of a depthwise 2-D convolution with channel multiplier 1 (NHWC, dilation 1), the
 * 3x3 / 5x5 convolutions of EfficientNet-B0:
 *   y[n, oh, ow, c] = sum over kh, kw of x[n, oh*sh + kh - pad_top, ow*sw + kw - pad_left, c]
 *                                        * w[kh, kw, c]
 * Channels are contiguous in NHWC, so every loop runs 4 channels per SIMD lane group, with a
 * scalar tail for C % 4.
 */
#include "simd.h"

/* Output positions summed into a partial before it is added to dW: keeps the float32 error of
 * a long sum near that of pairwise summation, in a fixed order (bit-reproducible). */
#define DW_BLOCK 256

/* out[0..c) (+)= a[0..c) * b[0..c). */
static inline void mul_add_row(float* out, const float* a, const float* b, int c) {
  int i = 0;
  for (; i + 4 <= c; i += 4) {
    wasm_v128_store(out + i, wasm_f32x4_add(wasm_v128_load(out + i),
                                            wasm_f32x4_mul(wasm_v128_load(a + i),
                                                           wasm_v128_load(b + i))));
  }
  for (; i < c; i++) out[i] += a[i] * b[i];
}

/* out[0..len) += src[0..len). */
static inline void add_row(float* out, const float* src, int len) {
  int i = 0;
  for (; i + 4 <= len; i += 4) {
    wasm_v128_store(out + i, wasm_f32x4_add(wasm_v128_load(out + i), wasm_v128_load(src + i)));
  }
  for (; i < len; i++) out[i] += src[i];
}

/* Floats of scratch depthwise_backprop_filter needs. */
EXPORT("depthwise_backprop_filter_scratch_floats")
int depthwise_backprop_filter_scratch_floats(int c, int kh, int kw) { return kh * kw * c; }

/* dw [kh, kw, c] from x [n, h, w, c] and dy [n, oh, ow, c]; scratch: kh*kw*c floats. */
EXPORT("depthwise_backprop_filter")
void depthwise_backprop_filter(const float* x, const float* dy, float* dw, int n, int h, int w,
                               int c, int oh, int ow, int cout, int kh, int kw, int sh,
                               int sw, int pad_top, int pad_left, float* scratch) {
  (void)cout; /* = c: the argument order is conv2d's (ConvGeometry) */
  const int len = kh * kw * c;
  const int positions = n * oh * ow;
  __builtin_memset(dw, 0, sizeof(float) * len);
  for (int p0 = 0; p0 < positions; p0 += DW_BLOCK) {
    const int p1 = min_i(positions, p0 + DW_BLOCK);
    __builtin_memset(scratch, 0, sizeof(float) * len);
    for (int p = p0; p < p1; p++) {
      const int b = p / (oh * ow), r = p % (oh * ow);
      const int ih0 = (r / ow) * sh - pad_top, iw0 = (r % ow) * sw - pad_left;
      const float* g = dy + p * c;
      for (int i = 0; i < kh; i++) {
        const int ih = ih0 + i;
        if (ih < 0 || ih >= h) continue;
        for (int j = 0; j < kw; j++) {
          const int iw = iw0 + j;
          if (iw < 0 || iw >= w) continue;
          mul_add_row(scratch + (i * kw + j) * c, x + ((b * h + ih) * w + iw) * c, g, c);
        }
      }
    }
    add_row(dw, scratch, len);
  }
}

/* dx [n, h, w, c] from dy [n, oh, ow, c] and the filter wt [kh, kw, c]: every output position
 * adds w * dy into its window, positions in order (so each dx element sums in a fixed order). */
EXPORT("depthwise_backprop_input")
void depthwise_backprop_input(const float* dy, const float* wt, float* dx, int n, int h, int w,
                              int c, int oh, int ow, int cout, int kh, int kw, int sh, int sw,
                              int pad_top, int pad_left) {
  (void)cout; /* = c */
  __builtin_memset(dx, 0, sizeof(float) * n * h * w * c);
  const int positions = n * oh * ow;
  for (int p = 0; p < positions; p++) {
    const int b = p / (oh * ow), r = p % (oh * ow);
    const int ih0 = (r / ow) * sh - pad_top, iw0 = (r % ow) * sw - pad_left;
    const float* g = dy + p * c;
    for (int i = 0; i < kh; i++) {
      const int ih = ih0 + i;
      if (ih < 0 || ih >= h) continue;
      for (int j = 0; j < kw; j++) {
        const int iw = iw0 + j;
        if (iw < 0 || iw >= w) continue;
        mul_add_row(dx + ((b * h + ih) * w + iw) * c, wt + (i * kw + j) * c, g, c);
      }
    }
  }
}
