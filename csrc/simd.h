/*
 * Shared definitions for edgeclass's WebAssembly SIMD kernels (all of csrc/ builds one .wasm).
 *
 * The module imports the tfjs-wasm backend's linear memory and works on tensors in place,
 * so it must own no memory of its own: no static data (the build script checks there is no
 * data section) and a shadow stack that the JS loader places in a malloc'd block.
 * All tensors are float32, row-major, NHWC.
 */
#ifndef EDGECLASS_SIMD_H
#define EDGECLASS_SIMD_H

#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

/* acc + a * b in one fused instruction (relaxed SIMD). Clang >= 16 has the standard builtin;
 * clang 14 (Debian 12) only has the pre-standard one, whose opcode scripts/build_wasm.sh
 * rewrites to the standard f32x4.relaxed_madd after linking. Operands (a, b, acc) in that order
 * on the wasm stack give a * b + acc under the standard semantics. */
#if __has_builtin(__builtin_wasm_relaxed_madd_f32x4)
#define MADD(a, b, acc) __builtin_wasm_relaxed_madd_f32x4((a), (b), (acc))
#else
#define MADD(a, b, acc) __builtin_wasm_fma_f32x4((a), (b), (acc))
#endif

/* Micro-tile: MR rows x NR columns of C held in 2*MR v128 registers. V8 on x64 has 15 usable
 * xmm registers; 4x8 keeps 8 accumulators + 2 B vectors + 1 splat live (6x8 spills and runs
 * 8x slower; 3x12 is only 5% faster than 4x8 and breaks the 4-wide packing paths). */
#define MR 4
#define NR 8
/* Cache blocking (floats): a KC x NR B sliver (8 KiB) stays in L1, an MC x KC A block
 * (128 KiB) in L2. */
#define KC 256
#define MC 128
#define NC 256

static inline int min_i(int a, int b) { return a < b ? a : b; }
static inline int max_i(int a, int b) { return a > b ? a : b; }
static inline int round_up(int a, int b) { return (a + b - 1) / b * b; }

/* gemm_kernel.c: C[mc x nc] (+)= Ap * Bp for packed panels (see pack layout in gemm_kernel.c). */
void gemm_macro(int mc, int nc, int kc, const float* ap, const float* bp, float* c, int ldc,
                int accumulate);

/* Packs op(A)[m x k] (element (i, p) at a[i*rs + p*cs]) into MR-row panels, zero padded. */
void pack_a_strided(int m, int k, const float* a, int rs, int cs, float* ap);
/* Packs op(B)[k x n] (element (p, j) at b[p*rs + j*cs]) into NR-column panels, zero padded. */
void pack_b_strided(int k, int n, const float* b, int rs, int cs, float* bp);

#endif
