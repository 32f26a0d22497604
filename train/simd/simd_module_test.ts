import assert from "node:assert/strict";
import { Rng } from "../../shared/rng.ts";
import {
  compileSimdModule,
  SIMD_WASM_URL,
  SimdModule,
  standaloneHeap,
  wasmSectionIds,
} from "./simd_module.ts";

Deno.test("the SIMD module has no data section and imports only env.memory", () => {
  const bytes = Deno.readFileSync(SIMD_WASM_URL);
  assert.ok(!wasmSectionIds(bytes).includes(11), "data section present");
  const module = compileSimdModule();
  assert.deepEqual(WebAssembly.Module.imports(module), [
    { module: "env", name: "memory", kind: "memory" },
  ]);
  const exported = WebAssembly.Module.exports(module).map((e) => e.name);
  for (const name of ["sgemm", "conv2d_backprop_filter", "max_pool_grad", "__stack_pointer"]) {
    assert.ok(exported.includes(name), `missing export ${name}`);
  }
});

Deno.test("wasmSectionIds reads section headers and rejects non-wasm bytes", () => {
  // magic, version, type section (id 1, 4 bytes), custom section (id 0, 130 bytes: 2-byte LEB)
  const custom = new Uint8Array(130);
  const bytes = new Uint8Array([
    0,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    1,
    4,
    1,
    0x60,
    0,
    0,
    0,
    0x82,
    0x01,
    ...custom,
  ]);
  assert.deepEqual(wasmSectionIds(bytes), [1, 0]);
  assert.throws(() => wasmSectionIds(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), TypeError);
});

/** Plain JS reference: C = op(A) op(B) (+ C0), float64 accumulation. */
function referenceGemm(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  lda: number,
  transA: boolean,
  b: Float32Array,
  ldb: number,
  transB: boolean,
  c0: Float32Array | null,
  ldc: number,
): Float64Array {
  const c = new Float64Array(m * ldc);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = c0 === null ? 0 : c0[i * ldc + j];
      for (let p = 0; p < k; p++) {
        s += a[transA ? p * lda + i : i * lda + p] * b[transB ? j * ldb + p : p * ldb + j];
      }
      c[i * ldc + j] = s;
    }
  }
  return c;
}

interface GemmCase {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** Extra leading-dimension padding, so strides differ from widths. */
  pad: number;
  accumulate: boolean;
}

// Sizes straddle the 4x8 register tile and the 128/256/256 cache blocks.
const gemmCases: GemmCase[] = [
  { m: 1, n: 1, k: 1, transA: false, transB: false, pad: 0, accumulate: false },
  { m: 4, n: 8, k: 5, transA: false, transB: false, pad: 0, accumulate: false },
  { m: 7, n: 13, k: 3, transA: true, transB: false, pad: 2, accumulate: false },
  { m: 5, n: 9, k: 17, transA: false, transB: true, pad: 1, accumulate: true },
  { m: 33, n: 17, k: 300, transA: true, transB: true, pad: 3, accumulate: false },
  { m: 130, n: 260, k: 40, transA: false, transB: false, pad: 0, accumulate: true },
  { m: 64, n: 24, k: 530, transA: true, transB: false, pad: 0, accumulate: false },
  { m: 9, n: 300, k: 64, transA: false, transB: true, pad: 5, accumulate: false },
  { m: 3, n: 5, k: 0, transA: false, transB: false, pad: 0, accumulate: false },
];

Deno.test("sgemm (C, wasm SIMD) matches a JS reference", () => {
  const heap = standaloneHeap(16 << 20);
  const simd = new SimdModule(heap);
  const rng = new Rng(7);
  for (const t of gemmCases) {
    const rowsA = t.transA ? t.k : t.m;
    const colsA = t.transA ? t.m : t.k;
    const rowsB = t.transB ? t.n : t.k;
    const colsB = t.transB ? t.k : t.n;
    const lda = colsA + t.pad;
    const ldb = colsB + t.pad;
    const ldc = t.n + t.pad;
    const pa = heap.malloc(Math.max(1, rowsA * lda) * 4);
    const pb = heap.malloc(Math.max(1, rowsB * ldb) * 4);
    const pc = heap.malloc(t.m * ldc * 4);
    const view = (ptr: number, len: number) => new Float32Array(heap.memory.buffer, ptr, len);
    const a = view(pa, rowsA * lda).map(() => rng.normal());
    const b = view(pb, rowsB * ldb).map(() => rng.normal());
    const c0 = view(pc, t.m * ldc).map(() => rng.normal());
    view(pa, a.length).set(a);
    view(pb, b.length).set(b);
    view(pc, c0.length).set(c0);
    simd.exports.sgemm(
      t.m,
      t.n,
      t.k,
      pa,
      lda,
      t.transA ? 1 : 0,
      pb,
      ldb,
      t.transB ? 1 : 0,
      pc,
      ldc,
      t.accumulate ? 1 : 0,
      simd.scratch(simd.exports.sgemm_scratch_floats()),
    );
    const got = view(pc, t.m * ldc);
    const want = referenceGemm(
      t.m,
      t.n,
      t.k,
      a,
      lda,
      t.transA,
      b,
      ldb,
      t.transB,
      t.accumulate ? c0 : null,
      ldc,
    );
    const what = JSON.stringify(t);
    for (let i = 0; i < t.m; i++) {
      for (let j = 0; j < ldc; j++) {
        const at = i * ldc + j;
        if (j >= t.n) {
          assert.equal(got[at], c0[at], `${what}: wrote outside C at (${i}, ${j})`);
          continue;
        }
        // float32 products summed in float32: error grows like sqrt(k) ulps of the terms.
        const tol = 1e-5 * Math.sqrt(t.k + 1) * 4;
        assert.ok(
          Math.abs(got[at] - want[at]) <= tol,
          `${what}: C[${i}, ${j}] = ${got[at]}, want ${want[at]}`,
        );
      }
    }
  }
  simd.dispose();
});
