/*
 * Packed single-precision GEMM core: packing routines and the MR x NR register-tile kernel.
 *
 * Packed layouts (zero padded to whole panels so the inner loop has no edge cases):
 *   A: MR-row panels, panel q holds rows q*MR.. as ap[q*kc*MR + p*MR + i]
 *   B: NR-column panels, panel r holds columns r*NR.. as bp[r*kc*NR + p*NR + j]
 */
#include "simd.h"

/* C tile (+)= sum over p of a[p*MR + i] * b[p*NR + j]; writes only the mr x nr valid part. */
static void micro_kernel(int kc, const float* restrict a, const float* restrict b,
                         float* restrict c, int ldc, int mr, int nr, int accumulate) {
  v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00;
  v128_t c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int p = 0; p < kc; p++) {
    const v128_t b0 = wasm_v128_load(b);
    const v128_t b1 = wasm_v128_load(b + 4);
    const v128_t a0 = wasm_v128_load32_splat(a);
    c00 = MADD(a0, b0, c00);
    c01 = MADD(a0, b1, c01);
    const v128_t a1 = wasm_v128_load32_splat(a + 1);
    c10 = MADD(a1, b0, c10);
    c11 = MADD(a1, b1, c11);
    const v128_t a2 = wasm_v128_load32_splat(a + 2);
    c20 = MADD(a2, b0, c20);
    c21 = MADD(a2, b1, c21);
    const v128_t a3 = wasm_v128_load32_splat(a + 3);
    c30 = MADD(a3, b0, c30);
    c31 = MADD(a3, b1, c31);
    a += MR;
    b += NR;
  }
  if (mr == MR && nr == NR) {
    float* c0 = c;
    float* c1 = c + ldc;
    float* c2 = c + 2 * ldc;
    float* c3 = c + 3 * ldc;
    if (accumulate) {
      c00 = wasm_f32x4_add(c00, wasm_v128_load(c0));
      c01 = wasm_f32x4_add(c01, wasm_v128_load(c0 + 4));
      c10 = wasm_f32x4_add(c10, wasm_v128_load(c1));
      c11 = wasm_f32x4_add(c11, wasm_v128_load(c1 + 4));
      c20 = wasm_f32x4_add(c20, wasm_v128_load(c2));
      c21 = wasm_f32x4_add(c21, wasm_v128_load(c2 + 4));
      c30 = wasm_f32x4_add(c30, wasm_v128_load(c3));
      c31 = wasm_f32x4_add(c31, wasm_v128_load(c3 + 4));
    }
    wasm_v128_store(c0, c00);
    wasm_v128_store(c0 + 4, c01);
    wasm_v128_store(c1, c10);
    wasm_v128_store(c1 + 4, c11);
    wasm_v128_store(c2, c20);
    wasm_v128_store(c2 + 4, c21);
    wasm_v128_store(c3, c30);
    wasm_v128_store(c3 + 4, c31);
    return;
  }
  float tile[MR * NR] __attribute__((aligned(16)));
  wasm_v128_store(tile, c00);
  wasm_v128_store(tile + 4, c01);
  wasm_v128_store(tile + 8, c10);
  wasm_v128_store(tile + 12, c11);
  wasm_v128_store(tile + 16, c20);
  wasm_v128_store(tile + 20, c21);
  wasm_v128_store(tile + 24, c30);
  wasm_v128_store(tile + 28, c31);
  for (int i = 0; i < mr; i++) {
    for (int j = 0; j < nr; j++) {
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + tile[i * NR + j] : tile[i * NR + j];
    }
  }
}

void gemm_macro(int mc, int nc, int kc, const float* ap, const float* bp, float* c, int ldc,
                int accumulate) {
  for (int j = 0; j < nc; j += NR) {
    const float* b = bp + (j / NR) * kc * NR;
    const int nr = min_i(NR, nc - j);
    for (int i = 0; i < mc; i += MR) {
      micro_kernel(kc, ap + (i / MR) * kc * MR, b, c + i * ldc + j, ldc, min_i(MR, mc - i), nr,
                   accumulate);
    }
  }
}

/* Transposes the 4x4 block r0..r3 (rows) into columns, in place. */
static inline void transpose4(v128_t* r0, v128_t* r1, v128_t* r2, v128_t* r3) {
  const v128_t t0 = wasm_i32x4_shuffle(*r0, *r1, 0, 4, 1, 5);
  const v128_t t1 = wasm_i32x4_shuffle(*r0, *r1, 2, 6, 3, 7);
  const v128_t t2 = wasm_i32x4_shuffle(*r2, *r3, 0, 4, 1, 5);
  const v128_t t3 = wasm_i32x4_shuffle(*r2, *r3, 2, 6, 3, 7);
  *r0 = wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5);
  *r1 = wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7);
  *r2 = wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5);
  *r3 = wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7);
}

void pack_a_strided(int m, int k, const float* a, int rs, int cs, float* ap) {
  for (int i0 = 0; i0 < m; i0 += MR) {
    const int mr = min_i(MR, m - i0);
    int p = 0;
    if (mr == MR && rs == 1) {
      /* op(A) column-major: each p gives MR consecutive floats. */
      const float* src = a + i0;
      for (; p < k; p++) wasm_v128_store(ap + p * MR, wasm_v128_load(src + p * cs));
    } else if (mr == MR && cs == 1) {
      /* Row-major: 4 rows x 4 p in, transposed to 4 p x 4 rows out. */
      const float* s0 = a + i0 * rs;
      for (; p + 4 <= k; p += 4) {
        v128_t r0 = wasm_v128_load(s0 + p), r1 = wasm_v128_load(s0 + rs + p);
        v128_t r2 = wasm_v128_load(s0 + 2 * rs + p), r3 = wasm_v128_load(s0 + 3 * rs + p);
        transpose4(&r0, &r1, &r2, &r3);
        wasm_v128_store(ap + p * MR, r0);
        wasm_v128_store(ap + p * MR + 4, r1);
        wasm_v128_store(ap + p * MR + 8, r2);
        wasm_v128_store(ap + p * MR + 12, r3);
      }
    }
    for (; p < k; p++) {
      for (int i = 0; i < MR; i++) ap[p * MR + i] = i < mr ? a[(i0 + i) * rs + p * cs] : 0.0f;
    }
    ap += k * MR;
  }
}

void pack_b_strided(int k, int n, const float* b, int rs, int cs, float* bp) {
  for (int j0 = 0; j0 < n; j0 += NR) {
    const int nr = min_i(NR, n - j0);
    int p = 0;
    if (nr == NR && cs == 1) {
      const float* src = b + j0;
      for (; p < k; p++) {
        wasm_v128_store(bp + p * NR, wasm_v128_load(src + p * rs));
        wasm_v128_store(bp + p * NR + 4, wasm_v128_load(src + p * rs + 4));
      }
    } else if (nr == NR && rs == 1) {
      /* op(B) stored column-major: transpose two 4x4 blocks per 4 p. */
      const float* s0 = b + j0 * cs;
      for (; p + 4 <= k; p += 4) {
        for (int h = 0; h < 2; h++) {
          const float* s = s0 + 4 * h * cs + p;
          v128_t r0 = wasm_v128_load(s), r1 = wasm_v128_load(s + cs);
          v128_t r2 = wasm_v128_load(s + 2 * cs), r3 = wasm_v128_load(s + 3 * cs);
          transpose4(&r0, &r1, &r2, &r3);
          float* d = bp + p * NR + 4 * h;
          wasm_v128_store(d, r0);
          wasm_v128_store(d + NR, r1);
          wasm_v128_store(d + 2 * NR, r2);
          wasm_v128_store(d + 3 * NR, r3);
        }
      }
    }
    for (; p < k; p++) {
      for (int j = 0; j < NR; j++) bp[p * NR + j] = j < nr ? b[p * rs + (j0 + j) * cs] : 0.0f;
    }
    bp += k * NR;
  }
}
