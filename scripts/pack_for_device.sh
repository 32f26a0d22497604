#!/usr/bin/env bash
# Prepares what scripts/gpu_check.sh needs on the lent GPU machine, which has no network, no
# Deno and no Vulkan loader. Run it here, in the repo root, before the device call:
#
#   bash scripts/pack_for_device.sh
#
# It fills two git-ignored folders, to be named in the device tool's `carry`:
#   .gl/           Debian's Vulkan/EGL/GL loader packages (unpacked there with dpkg -x), per
#                  /work/.library/device/README.md; downloaded once.
#   .device_pack/  deno.xz (this machine's deno binary, xz-compressed: ~30 MB of the 64 MiB
#                  the working tree may take) and gpu_bench_tfjs.js (scripts/gpu_bench_tfjs.ts
#                  bundled with its npm packages by `deno bundle`: no node_modules travels).
# Then prints the sizes and the device call to make.
set -euo pipefail
cd "$(dirname "$0")/.."

# Neither folder may be committed; /.gl/ is in .gitignore, /.device_pack/ may not be yet.
exclude="$(git rev-parse --git-path info/exclude)"
mkdir -p "$(dirname "$exclude")"
if ! git check-ignore -q .device_pack/deno.xz; then echo /.device_pack/ >>"$exclude"; fi
if ! git check-ignore -q .gl/x.deb; then echo /.gl/ >>"$exclude"; fi

if ! ls .gl/*.deb >/dev/null 2>&1; then
  echo "downloading the Vulkan/EGL loader packages into .gl/"
  mkdir -p .gl /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  # shellcheck disable=SC2086 # $o is a list of options
  apt-get $o update -qq
  # shellcheck disable=SC2086
  (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi

mkdir -p .device_pack
deno_bin="$(readlink -f "$(command -v deno)")"
version="$("$deno_bin" --version | head -1)"
# The binary is compressed once per Deno version (xz -9 takes about a minute on 2 cores).
if [ ! -f .device_pack/deno.xz ] || [ "$(cat .device_pack/deno.version 2>/dev/null)" != "$version" ]; then
  echo "compressing $deno_bin ($version) into .device_pack/deno.xz"
  xz -T0 -9 -c "$deno_bin" >.device_pack/deno.xz.tmp
  mv .device_pack/deno.xz.tmp .device_pack/deno.xz
  echo "$version" >.device_pack/deno.version
fi

echo "bundling scripts/gpu_bench_tfjs.ts into .device_pack/gpu_bench_tfjs.js"
deno bundle --quiet --platform deno -o .device_pack/gpu_bench_tfjs.js scripts/gpu_bench_tfjs.ts

tree_bytes=$(git ls-files -z -co --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
gl_bytes=$(du -cb .gl | tail -1 | cut -f1)
pack_bytes=$(du -cb .device_pack | tail -1 | cut -f1)
total=$((tree_bytes + gl_bytes + pack_bytes))
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "working tree $(mib "$tree_bytes") + .gl $(mib "$gl_bytes") + .device_pack $(mib "$pack_bytes") = $(mib "$total") (limit 64 MiB)"
if [ "$total" -gt $((64 * 1048576)) ]; then
  echo "TOO LARGE for the device tool: ignore or carry less" >&2
  exit 1
fi
cat <<'EOF'
device call (one shot, ~1.5-3.5 min on the machine, under 6 at worst, plus its start):
  run(command="bash scripts/gpu_check.sh", carry=[".gl", ".device_pack"], timeout_s=420)
results come back under $OUT (see docs/device/README.md): gpu_check.json (merged, with
findings), gpu_check.log, tfjs_adapter.json, tfjs_webgpu.json, torch_cuda.json, system.txt,
setup_gpu.txt
EOF
