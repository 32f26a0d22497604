/*
 * Forward 2-D convolution (NHWC, dilation 1) as a GEMM over the implicit im2col matrix:
 * y[p, co] = bias[co] + sum_q col[p, q] * W[q, co] (see conv2d_backprop.c for col), with an
 * optional ReLU. Split into ranges of output positions for the threaded entry points.
 */
#include "conv2d_shape.h"

/* Packs col rows p0..p0+mp-1 (output positions) x columns q0..q0+kc-1 (filter indices) as the
 * A operand: ap[panel*kc*MR + k*MR + i] = col[p0 + panel*MR + i, q0 + k]. */
static void pack_col(const conv_shape* g, const float* x, int p0, int mp, int q0, int kc,
                     float* ap) {
  float rows[MR][KC + 4] __attribute__((aligned(16)));
  int ih0[MR], iw0[MR], base[MR];
  for (int pp = 0; pp < mp; pp += MR) {
    const int mr = min_i(MR, mp - pp);
    window_origins(g, p0 + pp, mr, ih0, iw0, base);
    for (int i = 0; i < MR; i++) {
      if (i < mr) {
        col_row(g, x, ih0[i], iw0[i], base[i], q0, kc, rows[i]);
      } else {
        __builtin_memset(rows[i], 0, sizeof(float) * kc);
      }
      __builtin_memset(rows[i] + kc, 0, sizeof(float) * 4);
    }
    /* 4 positions x 4 filter indices in, transposed to 4 k-steps x 4 positions out. */
    for (int k = 0; k < kc; k += 4) {
      const v128_t r0 = wasm_v128_load(rows[0] + k), r1 = wasm_v128_load(rows[1] + k);
      const v128_t r2 = wasm_v128_load(rows[2] + k), r3 = wasm_v128_load(rows[3] + k);
      const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);
      const v128_t t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
      const v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
      const v128_t t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
      const v128_t o[4] = {
          wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5), wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7),
          wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5), wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7)};
      for (int j = 0; j < 4 && k + j < kc; j++) wasm_v128_store(ap + (k + j) * MR, o[j]);
    }
    ap += kc * MR;
  }
}

int conv_fwd_packed_w_floats(const conv_shape* g) {
  const int kq = g->kh * g->kw * g->cin;
  return round_up(kq, KC) * round_up(g->cout, NC);
}

int conv_fwd_scratch_floats(void) { return MC * KC; }

void conv_fwd_pack_w(const conv_shape* g, const float* wt, float* bp) {
  const int kq = g->kh * g->kw * g->cin;
  const int cout = g->cout;
  const int nblocks = (cout + NC - 1) / NC;
  for (int pc = 0; pc < kq; pc += KC) {
    for (int jc = 0; jc < cout; jc += NC) {
      pack_b_strided(min_i(KC, kq - pc), min_i(NC, cout - jc), wt + pc * cout + jc, cout, 1,
                     bp + ((pc / KC) * nblocks + jc / NC) * KC * NC);
    }
  }
}

void conv_fwd_range(const conv_shape* g, const float* x, const float* bp, const float* bias,
                    int relu, float* y, int p_begin, int p_end, float* scratch) {
  const int kq = g->kh * g->kw * g->cin;
  const int cout = g->cout;
  const int nblocks = (cout + NC - 1) / NC;
  /* One K block (small kq, e.g. a 3-channel first layer): the GEMM writes each y block once
   * and bias + ReLU follow while it is in cache; a separate pass over y would cost as much as
   * the arithmetic there. More blocks accumulate into y, which starts at the bias. */
  const int single = kq <= KC;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int ic = p_begin; ic < p_end; ic += MC) {
    const int mc = min_i(MC, p_end - ic);
    float* block = y + ic * cout;
    if (!single) {
      for (int p = 0; p < mc; p++) {
        if (bias) {
          __builtin_memcpy(block + p * cout, bias, sizeof(float) * cout);
        } else {
          __builtin_memset(block + p * cout, 0, sizeof(float) * cout);
        }
      }
    }
    for (int pc = 0; pc < kq; pc += KC) {
      const int kc = min_i(KC, kq - pc);
      pack_col(g, x, ic, mc, pc, kc, scratch);
      for (int jc = 0; jc < cout; jc += NC) {
        gemm_macro(mc, min_i(NC, cout - jc), kc, scratch,
                   bp + ((pc / KC) * nblocks + jc / NC) * KC * NC, block + jc, cout, !single);
      }
    }
    if ((single && bias) || relu) {
      for (int p = 0; p < mc; p++) {
        float* row = block + p * cout;
        int j = 0;
        for (; j + 4 <= cout; j += 4) {
          v128_t v = wasm_v128_load(row + j);
          if (single && bias) v = wasm_f32x4_add(v, wasm_v128_load(bias + j));
          if (relu) v = wasm_f32x4_max(v, zero);
          wasm_v128_store(row + j, v);
        }
        for (; j < cout; j++) {
          float v = row[j];
          if (single && bias) v += bias[j];
          row[j] = relu && v < 0.0f ? 0.0f : v;
        }
      }
    }
  }
}

/* Floats of scratch conv2d_forward needs (packed W + work area). */
EXPORT("conv2d_forward_scratch_floats")
int conv2d_forward_scratch_floats(int cin, int cout, int kh, int kw) {
  const conv_shape g = {1, 1, 1, cin, 1, 1, cout, kh, kw, 1, 1, 0, 0};
  return conv_fwd_packed_w_floats(&g) + conv_fwd_scratch_floats();
}

/* y [n, oh, ow, cout] = conv(x, wt) + bias (bias may be 0), then ReLU if relu. */
EXPORT("conv2d_forward")
void conv2d_forward(const float* x, const float* wt, const float* bias, int relu, float* y, int n,
                    int h, int w, int cin, int oh, int ow, int cout, int kh, int kw, int sh, int sw,
                    int pad_top, int pad_left, float* scratch) {
  const conv_shape g = {n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pad_top, pad_left};
  conv_fwd_pack_w(&g, wt, scratch);
  conv_fwd_range(&g, x, scratch, bias, relu, y, 0, n * oh * ow,
                 scratch + conv_fwd_packed_w_floats(&g));
}
