#!/usr/bin/env bash
# Builds csrc/*.c into .cache/edgeclass_simd.wasm and .cache/edgeclass_simd_mt.wasm, the SIMD
# training kernels of train/simd/.
# Needs Debian's clang + lld (apt-get install -y clang lld; llvm-objdump comes with clang).
# Usage: scripts/build_wasm.sh [out.wasm]      (also: deno task build:wasm)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.cache/edgeclass_simd.wasm}
cc=${CC:-clang}
for tool in "$cc" "${OBJDUMP:-llvm-objdump}" deno; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "build_wasm: $tool not found (apt-get install -y clang lld)" >&2
    exit 1
  fi
done
mkdir -p "$(dirname "$out")"
out_mt=${out%.wasm}_mt.wasm
tmp="$out.tmp.$$"
trap 'rm -f "$tmp" "$tmp.mt"' EXIT
# Two links of the same code:
# - $out imports the tfjs-wasm heap (not shared) and runs kernels on tensors in place;
# - $out_mt imports a shared memory for the thread pool (train/simd/simd_pool.ts).
# Neither has data of its own; each instance gets its __stack_pointer (exported, hence
# -mmutable-globals) moved into a block the JS side allocates. -mbulk-memory turns memset into
# memory.fill (there is no libc); -mrelaxed-simd for FMA; -matomics for the chunk counter.
flags=(--target=wasm32 -msimd128 -mrelaxed-simd -mbulk-memory -mmutable-globals -matomics -O3
  -nostdlib -ffreestanding -Wall -Wextra -Werror
  -Wl,--no-entry -Wl,--import-memory -Wl,--export=__stack_pointer -Wl,--initial-memory=131072)
"$cc" "${flags[@]}" -o "$tmp" csrc/*.c
"$cc" "${flags[@]}" -Wl,--shared-memory -Wl,--max-memory=2147483648 -o "$tmp.mt" csrc/*.c
for f in "$tmp" "$tmp.mt"; do
  OBJDUMP=${OBJDUMP:-llvm-objdump} deno run --allow-read --allow-write --allow-run \
    --allow-env=OBJDUMP scripts/wasm_relaxed_madd_patch.ts "$f"
done
mv "$tmp" "$out"
mv "$tmp.mt" "$out_mt"
trap - EXIT
echo "build_wasm: wrote $out ($(wc -c <"$out") bytes) and $out_mt ($(wc -c <"$out_mt") bytes)"
