import assert from "node:assert/strict";
import { codeSectionStart, patchRelaxedMadd } from "./wasm_relaxed_madd_patch.ts";

/** magic + version, a 3-byte custom section, then a code section holding `code`. */
function module(code: number[]): Uint8Array {
  return new Uint8Array([
    0,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    0,
    3,
    1,
    0x78,
    0,
    10,
    code.length,
    ...code,
  ]);
}

Deno.test("codeSectionStart finds the code section's contents", () => {
  assert.equal(codeSectionStart(module([1, 2, 3])), 15);
  assert.throws(() => codeSectionStart(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])), Error);
});

Deno.test("patchRelaxedMadd rewrites exactly the listed f32x4.fma instructions", () => {
  // code: [count, ..., fd af 01 (listed), fd af 01 (inside an immediate, not listed)]
  const bytes = module([1, 0x20, 0, 0xfd, 0xaf, 0x01, 0x41, 0xfd, 0xaf, 0x01]);
  const disassembly = [
    "00000001 <f>:",
    "       1: 20 00        \tlocal.get\t0",
    "       3: fd af 01     \tf32x4.fma",
    "       6: 41 fd af 01  \ti32.const\t...",
  ].join("\n");
  assert.equal(patchRelaxedMadd(bytes, disassembly), 1);
  assert.deepEqual([...bytes.slice(18, 21)], [0xfd, 0x85, 0x02]);
  assert.deepEqual([...bytes.slice(22, 25)], [0xfd, 0xaf, 0x01], "immediate left alone");
});

Deno.test("patchRelaxedMadd refuses an offset that does not hold the old opcode", () => {
  const bytes = module([1, 0x20, 0, 0x0b]);
  assert.throws(() => patchRelaxedMadd(bytes, "       1: fd af 01     \tf32x4.fma"), /expected/);
});
