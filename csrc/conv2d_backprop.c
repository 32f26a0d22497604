/*
 * Gradients of a 2-D convolution (NHWC input [n, h, w, cin], filter [kh, kw, cin, cout],
 * output [n, oh, ow, cout], dilation 1) as GEMMs over implicit im2col matrices:
 *
 *   col[p, q] = x[b, oh*sh - pad_top + r, ow*sw - pad_left + s, c]  (zero outside the image)
 *   for output position p = (b, oh, ow) and filter index q = (r*kw + s)*cin + c.
 *
 *   dW[q, co] = sum_p col[p, q] * dy[p, co]      (dW = col^T dy)
 *   dx = col2im(dy W^T)                          (scatter-add of a [P x KHKWCin] product)
 *
 * col is never materialised: the packing routines gather it block by block. Each gradient is
 * split into "range" functions over output positions so the threaded entry points
 * (conv2d_threaded.c) can hand out chunks.
 */
#include "conv2d_shape.h"

/* Image row/col of the window corner and batch offset for output positions p0..p0+np-1. */
void window_origins(const conv_shape* g, int p0, int np, int* ih0, int* iw0, int* base) {
  int b = p0 / (g->oh * g->ow);
  int rest = p0 % (g->oh * g->ow);
  int y = rest / g->ow, x = rest % g->ow;
  for (int p = 0; p < np; p++) {
    ih0[p] = y * g->sh - g->pad_top;
    iw0[p] = x * g->sw - g->pad_left;
    base[p] = b * g->h * g->w * g->cin;
    if (++x == g->ow) {
      x = 0;
      if (++y == g->oh) {
        y = 0;
        b++;
      }
    }
  }
}

/* dst[i] (+)= src[i] for i < len (vector body, scalar tail). */
static inline void copy_floats(float* dst, const float* src, int len) {
  int i = 0;
  for (; i + 4 <= len; i += 4) wasm_v128_store(dst + i, wasm_v128_load(src + i));
  for (; i < len; i++) dst[i] = src[i];
}

static inline void add_floats(float* dst, const float* src, int len) {
  int i = 0;
  for (; i + 4 <= len; i += 4) {
    wasm_v128_store(dst + i, wasm_f32x4_add(wasm_v128_load(dst + i), wasm_v128_load(src + i)));
  }
  for (; i < len; i++) dst[i] += src[i];
}

/*
 * Walks col row p (window corner ih0, iw0, image offset base) from filter index q0 for len
 * floats, run by run: a window row fully inside the image is one run of kw*cin floats, at the
 * borders runs are single taps (cin floats), rows or taps outside the image are zero runs.
 * add == 0: buf[k] = col[p, q0 + k] (zeros for padding);
 * add == 1: x[position of col[p, q0 + k]] += buf[k], padding skipped (x is dx then).
 * The cursor (kernel row r, offset rem in it) advances without divisions, which for 3-channel
 * inputs (runs of 9 floats) cost as much as the copying.
 */
static inline void col_walk(const conv_shape* g, float* x, int ih0, int iw0, int base, int q0,
                            int len, float* buf, int add) {
  const int cin = g->cin, row_len = g->kw * cin;
  const int inside_w = iw0 >= 0 && iw0 + g->kw <= g->w;
  int r = q0 / row_len, rem = q0 - r * row_len;
  for (int k = 0; k < len;) {
    const int ih = ih0 + r;
    if ((unsigned)ih >= (unsigned)g->h || inside_w) {
      const int run = min_i(row_len - rem, len - k);
      if ((unsigned)ih >= (unsigned)g->h) {
        if (!add) __builtin_memset(buf + k, 0, sizeof(float) * run);
      } else {
        float* at = x + base + (ih * g->w + iw0) * cin + rem;
        if (add) {
          add_floats(at, buf + k, run);
        } else {
          copy_floats(buf + k, at, run);
        }
      }
      k += run;
      rem += run;
    } else {
      int s = rem / cin, c = rem - s * cin;
      for (; k < len && s < g->kw; s++, c = 0) {
        const int run = min_i(cin - c, len - k);
        const int iw = iw0 + s;
        if ((unsigned)iw < (unsigned)g->w) {
          float* at = x + base + (ih * g->w + iw) * cin + c;
          if (add) {
            add_floats(at, buf + k, run);
          } else {
            copy_floats(buf + k, at, run);
          }
        } else if (!add) {
          __builtin_memset(buf + k, 0, sizeof(float) * run);
        }
        k += run;
        rem += run;
      }
    }
    if (rem == row_len) {
      r++;
      rem = 0;
    }
  }
}

void col_row(const conv_shape* g, const float* x, int ih0, int iw0, int base, int q0, int len,
             float* dst) {
  col_walk(g, (float*)x, ih0, iw0, base, q0, len, dst, 0);
}

void col_row_add(const conv_shape* g, float* dx, int ih0, int iw0, int base, int q0, int len,
                 const float* src) {
  col_walk(g, dx, ih0, iw0, base, q0, len, (float*)src, 1);
}

/*
 * Packs col^T rows q0..q0+mq-1 (filter indices) x columns p (kc output positions) as the
 * A operand: ap[panel*kc*MR + p*MR + i] = col[p, q0 + panel*MR + i].
 */
static void pack_col_t(const conv_shape* g, const float* x, int q0, int mq, int kc,
                       const int* ih0, const int* iw0, const int* base, float* ap) {
  float row[MC + MR] __attribute__((aligned(16)));
  const int panels = (mq + MR - 1) / MR;
  __builtin_memset(row + mq, 0, sizeof(float) * MR); /* zero padding of the last panel */
  for (int p = 0; p < kc; p++) {
    col_row(g, x, ih0[p], iw0[p], base[p], q0, mq, row);
    for (int q = 0; q < panels; q++) {
      wasm_v128_store(ap + q * kc * MR + p * MR, wasm_v128_load(row + q * MR));
    }
  }
}

int conv_dw_scratch_floats(void) { return MC * KC + KC * NC; }

void conv_dw_range(const conv_shape* g, const float* x, const float* dy, float* dw, int p_begin,
                   int p_end, int q_begin, int q_end, int accumulate, float* scratch) {
  const int cout = g->cout;
  float* ap = scratch;
  float* bp = scratch + MC * KC;
  int ih0[KC], iw0[KC], base[KC];
  if (p_begin >= p_end && !accumulate) {
    __builtin_memset(dw + q_begin * cout, 0, sizeof(float) * (q_end - q_begin) * cout);
    return;
  }
  for (int jc = 0; jc < cout; jc += NC) {
    const int nc = min_i(NC, cout - jc);
    for (int pc = p_begin; pc < p_end; pc += KC) {
      const int kc = min_i(KC, p_end - pc);
      window_origins(g, pc, kc, ih0, iw0, base);
      pack_b_strided(kc, nc, dy + pc * cout + jc, cout, 1, bp);
      for (int ic = q_begin; ic < q_end; ic += MC) {
        const int mc = min_i(MC, q_end - ic);
        pack_col_t(g, x, ic, mc, kc, ih0, iw0, base, ap);
        gemm_macro(mc, nc, kc, ap, bp, dw + ic * cout + jc, cout, accumulate || pc > p_begin);
      }
    }
  }
}

/* dx[p's window] += tile[row, q - q0] for rows p0.. and filter indices q0..q0+nq-1. */
static void col2im_add(const conv_shape* g, const float* tile, int ldt, int p0, int np, int q0,
                       int nq, float* dx) {
  int ih0[MC], iw0[MC], base[MC];
  window_origins(g, p0, np, ih0, iw0, base);
  for (int p = 0; p < np; p++) col_row_add(g, dx, ih0[p], iw0[p], base[p], q0, nq, tile + p * ldt);
}

int conv_dx_packed_w_floats(const conv_shape* g) {
  const int kq = g->kh * g->kw * g->cin;
  return KC * ((g->cout + KC - 1) / KC) * round_up(kq, NC);
}

int conv_dx_scratch_floats(const conv_shape* g) {
  return MC * KC * ((g->cout + KC - 1) / KC) /* A: one P block, all of cout */
         + MC * NC;                          /* C tile before the scatter */
}

void conv_dx_pack_w(const conv_shape* g, const float* wt, float* bp) {
  const int kq = g->kh * g->kw * g->cin;
  const int cout = g->cout;
  const int qblocks = (kq + NC - 1) / NC;
  /* B = W^T [cout x kq]: element (co, q) at wt[q*cout + co]; packed block by block. */
  for (int pc = 0; pc < cout; pc += KC) {
    const int kc = min_i(KC, cout - pc);
    for (int jc = 0; jc < kq; jc += NC) {
      pack_b_strided(kc, min_i(NC, kq - jc), wt + pc + jc * cout, 1, cout,
                     bp + ((pc / KC) * qblocks + jc / NC) * KC * NC);
    }
  }
}

void conv_dx_range(const conv_shape* g, const float* dy, const float* bp, float* dx, int p_begin,
                   int p_end, float* scratch) {
  const int kq = g->kh * g->kw * g->cin;
  const int cout = g->cout;
  const int qblocks = (kq + NC - 1) / NC;
  float* ap = scratch;
  float* tile = ap + MC * KC * ((cout + KC - 1) / KC);
  for (int ic = p_begin; ic < p_end; ic += MC) {
    const int mc = min_i(MC, p_end - ic);
    for (int pc = 0; pc < cout; pc += KC) {
      pack_a_strided(mc, min_i(KC, cout - pc), dy + ic * cout + pc, cout, 1,
                     ap + (pc / KC) * MC * KC);
    }
    for (int jc = 0; jc < kq; jc += NC) {
      const int nc = min_i(NC, kq - jc);
      for (int pc = 0; pc < cout; pc += KC) {
        gemm_macro(mc, nc, min_i(KC, cout - pc), ap + (pc / KC) * MC * KC,
                   bp + ((pc / KC) * qblocks + jc / NC) * KC * NC, tile, NC, pc > 0);
      }
      col2im_add(g, tile, NC, ic, mc, jc, nc, dx);
    }
  }
}

/* Floats of scratch conv2d_backprop_filter needs. */
EXPORT("conv2d_backprop_filter_scratch_floats")
int conv2d_backprop_filter_scratch_floats(void) { return conv_dw_scratch_floats(); }

/* dw[0..len) = parts[0] + parts[1] + ... + parts[slots - 1], added in that order (slot s at
 * parts + s * part_floats), so the result never depends on which thread computed which slot. */
EXPORT("sum_slots")
void sum_slots(float* dw, const float* parts, int part_floats, int len, int slots) {
  int i = 0;
  for (; i + 4 <= len; i += 4) {
    v128_t acc = wasm_v128_load(parts + i);
    for (int s = 1; s < slots; s++) {
      acc = wasm_f32x4_add(acc, wasm_v128_load(parts + s * part_floats + i));
    }
    wasm_v128_store(dw + i, acc);
  }
  for (; i < len; i++) {
    float acc = parts[i];
    for (int s = 1; s < slots; s++) acc += parts[s * part_floats + i];
    dw[i] = acc;
  }
}

/* dw by fixed slots of `slot_positions` output positions, one after the other on this thread:
 * the same sums, in the same order, as the threaded conv_dw_slot_task + sum_slots, so one
 * thread and a pool of any size give bit-identical gradients. parts holds
 * slots * kh*kw*cin*cout floats. */
EXPORT("conv2d_backprop_filter_slots")
void conv2d_backprop_filter_slots(const float* x, const float* dy, float* dw, int n, int h, int w,
                                  int cin, int oh, int ow, int cout, int kh, int kw, int sh,
                                  int sw, int pad_top, int pad_left, float* parts,
                                  int slot_positions, float* scratch) {
  const conv_shape g = {n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pad_top, pad_left};
  const int big_p = n * oh * ow;
  const int len = kh * kw * cin * cout;
  const int slots = (big_p + slot_positions - 1) / slot_positions;
  if (slots == 0) { /* no output positions: the gradient is zero */
    __builtin_memset(dw, 0, sizeof(float) * len);
    return;
  }
  for (int s = 0; s < slots; s++) {
    conv_dw_range(&g, x, dy, parts + s * len, s * slot_positions,
                  min_i(big_p, (s + 1) * slot_positions), 0, kh * kw * cin, 0, scratch);
  }
  sum_slots(dw, parts, len, len, slots);
}

/* dw [kh, kw, cin, cout] = gradient of the filter (single-threaded, in place). */
EXPORT("conv2d_backprop_filter")
void conv2d_backprop_filter(const float* x, const float* dy, float* dw, int n, int h, int w,
                            int cin, int oh, int ow, int cout, int kh, int kw, int sh, int sw,
                            int pad_top, int pad_left, float* scratch) {
  const conv_shape g = {n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pad_top, pad_left};
  conv_dw_range(&g, x, dy, dw, 0, n * oh * ow, 0, kh * kw * cin, 0, scratch);
}

/* Floats of scratch conv2d_backprop_input needs for this shape (packed W^T + work area). */
EXPORT("conv2d_backprop_input_scratch_floats")
int conv2d_backprop_input_scratch_floats(int cin, int cout, int kh, int kw) {
  const conv_shape g = {1, 1, 1, cin, 1, 1, cout, kh, kw, 1, 1, 0, 0};
  return conv_dx_packed_w_floats(&g) + conv_dx_scratch_floats(&g);
}

/* dx [n, h, w, cin] = gradient of the input, from dy and the filter wt [kh, kw, cin, cout]. */
EXPORT("conv2d_backprop_input")
void conv2d_backprop_input(const float* dy, const float* wt, float* dx, int n, int h, int w,
                           int cin, int oh, int ow, int cout, int kh, int kw, int sh, int sw,
                           int pad_top, int pad_left, float* scratch) {
  const conv_shape g = {n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pad_top, pad_left};
  __builtin_memset(dx, 0, sizeof(float) * n * h * w * cin);
  conv_dx_pack_w(&g, wt, scratch);
  conv_dx_range(&g, dy, scratch, dx, 0, n * oh * ow, scratch + conv_dx_packed_w_floats(&g));
}
