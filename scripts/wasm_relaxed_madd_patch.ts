/**
 * `deno run -A scripts/wasm_relaxed_madd_patch.ts <file.wasm>` (run by scripts/build_wasm.sh)
 *
 * Clang 14 (Debian 12's) encodes `__builtin_wasm_fma_f32x4` with the pre-standard relaxed-SIMD
 * opcode 0xfd 0xaf 0x01 ("f32x4.fma"), which current V8 rejects. The standard
 * `f32x4.relaxed_madd` (a * b + c, same operands) is 0xfd 0x85 0x02: same length, so the
 * instruction is rewritten in place. Offsets come from llvm-objdump's disassembly, never from
 * searching bytes, so immediates that happen to contain those bytes are left alone.
 * Prints how many instructions were rewritten; a module without the old opcode (a newer clang)
 * is left unchanged.
 *
 * @module
 */

const OLD = [0xfd, 0xaf, 0x01];
const NEW = [0xfd, 0x85, 0x02];

/** File offset where the code section's contents start (objdump addresses are relative to it). */
export function codeSectionStart(bytes: Uint8Array): number {
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at++];
    let size = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = bytes[at++];
      size += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    if (id === 10) return at;
    at += size;
  }
  throw new Error("no code section");
}

/** Rewrites every f32x4.fma listed in `disassembly` (llvm-objdump -d output); returns the count. */
export function patchRelaxedMadd(bytes: Uint8Array, disassembly: string): number {
  const base = codeSectionStart(bytes);
  let count = 0;
  for (const line of disassembly.split("\n")) {
    const m = line.match(/^\s*([0-9a-f]+):\s+fd af 01\s+f32x4\.fma\b/);
    if (m === null) continue;
    const at = base + parseInt(m[1], 16);
    if (!OLD.every((b, i) => bytes[at + i] === b)) {
      throw new Error(`expected f32x4.fma bytes at file offset ${at}`);
    }
    bytes.set(NEW, at);
    count++;
  }
  return count;
}

if (import.meta.main) {
  const file = Deno.args[0];
  if (file === undefined) throw new Error("usage: wasm_relaxed_madd_patch.ts <file.wasm>");
  const objdump = Deno.env.get("OBJDUMP") ?? "llvm-objdump";
  const out = await new Deno.Command(objdump, { args: ["-d", file], stdout: "piped" }).output();
  if (!out.success) throw new Error(`${objdump} -d ${file} failed`);
  const bytes = await Deno.readFile(file);
  const count = patchRelaxedMadd(bytes, new TextDecoder().decode(out.stdout));
  await Deno.writeFile(file, bytes);
  console.log(`wasm_relaxed_madd_patch: rewrote ${count} f32x4.fma -> f32x4.relaxed_madd`);
}
