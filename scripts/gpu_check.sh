#!/usr/bin/env bash
# GPU check for the lent NVIDIA machine (see scripts/pack_for_device.sh, which prepares .gl/
# and .device_pack/ here first). One device call runs it all:
#
#   run(command="bash scripts/gpu_check.sh", carry=[".gl", ".device_pack"], timeout_s=480)
#
# 1. Vulkan: unpacks the carried loader .debs (that machine has none), points the loader at the
#    NVIDIA ICD.
# 2. tfjs on WebGPU (Deno's wgpu on Vulkan on the NVIDIA driver): the bundled
#    scripts/gpu_bench_tfjs.ts: first-step gradients vs the tfjs cpu backend, then training
#    steps of SimpleCNN and ResNet18.
# 3. PyTorch on CUDA, same models, sizes, batches, loss and optimiser: scripts/gpu_bench_torch.py.
# 4. scripts/setup_gpu.ts's report: which CUDA 11.2 / cuDNN 8 libraries tfjs-node-gpu would lack.
# Writes $OUT/gpu_check.json (everything merged) plus the parts and a log. Each step has its own
# time limit, so a hang in one still leaves the others' results; the whole stays under ~6 min.
#
# Here (no NVIDIA GPU) it also runs, on llvmpipe and CPU torch, with small configs:
#   OUT=/tmp/gpu_check GPU_CHECK_CONFIGS=simple_cnn:16:8 GPU_CHECK_STEPS=1 bash scripts/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-/tmp/gpu_check_out}"
mkdir -p "$OUT"
exec > >(tee -a "$OUT/gpu_check.log") 2>&1
CONFIGS="${GPU_CHECK_CONFIGS:-simple_cnn:32:128,resnet18:64:64,resnet18:224:64}"
STEPS="${GPU_CHECK_STEPS:-10}"
t0=$(date +%s)
stamp() { echo "[$(($(date +%s) - t0)) s] $*"; }

stamp "gpu_check: configs $CONFIGS, $STEPS timed steps each"
nvidia-smi >"$OUT/nvidia_smi.txt" 2>&1 || echo "nvidia-smi unavailable" >>"$OUT/nvidia_smi.txt"
head -20 "$OUT/nvidia_smi.txt"

# 1. Vulkan loader + NVIDIA ICD
if ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
  if ls .gl/*.deb >/dev/null 2>&1; then
    stamp "unpacking $(ls .gl/*.deb | wc -l) loader packages from .gl/"
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  else
    stamp "no libvulkan.so.1 and no .gl/ (run scripts/pack_for_device.sh here first)"
  fi
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json \
  /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ]; then
    export VK_DRIVER_FILES="$icd"
    stamp "Vulkan ICD: $icd"
    break
  fi
done
egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES="$egl"
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  [ -d "$d" ] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done

# 2. Deno: the carried binary, else one on PATH (here)
DENO=""
if [ -f .device_pack/deno.xz ]; then
  xz -dc .device_pack/deno.xz >/tmp/deno 2>/dev/null ||
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
      .device_pack/deno.xz /tmp/deno
  chmod +x /tmp/deno && DENO=/tmp/deno
elif command -v deno >/dev/null; then
  DENO="$(command -v deno)"
fi
export DENO_DIR=/tmp/gpu_check_deno_dir
BUNDLE=.device_pack/gpu_bench_tfjs.js
if [ -n "$DENO" ]; then
  stamp "deno: $($DENO --version | head -1)"
  if [ -f "$BUNDLE" ]; then
    tfjs=("$DENO" run -A --no-config --cached-only "$BUNDLE")
  else
    tfjs=("$DENO" run -A scripts/gpu_bench_tfjs.ts)
  fi
  stamp "tfjs on WebGPU"
  timeout 270 "${tfjs[@]}" --backend webgpu --configs "$CONFIGS" --steps "$STEPS" \
    --warmup 2 --budget-s 180 --out "$OUT/tfjs_webgpu.json"
  stamp "tfjs exit status $?"
  timeout 30 "$DENO" run -A --no-config scripts/setup_gpu.ts >"$OUT/setup_gpu.txt" 2>&1
  sed -n '/^missing\|^all /,$p' "$OUT/setup_gpu.txt"
else
  stamp "no deno: tfjs part skipped"
fi

# 3. PyTorch on CUDA ('python3' there is the one with torch; here /usr/bin/python3 has it)
PY=python3
python3 -c 'import torch' 2>/dev/null || PY=/usr/bin/python3
stamp "PyTorch ($PY)"
timeout 150 "$PY" scripts/gpu_bench_torch.py --configs "$CONFIGS" --steps "$STEPS" --warmup 2 \
  --out "$OUT/torch_cuda.json"
stamp "torch exit status $?"

# 4. one merged JSON, with tfjs/torch speed ratios per config
"$PY" - "$OUT" <<'EOF'
import json, os, sys
out = sys.argv[1]
def load(name):
    try:
        with open(os.path.join(out, name)) as f:
            return json.load(f)
    except Exception as e:  # noqa: BLE001
        return {"error": f"{name}: {e}"}
tfjs, torch = load("tfjs_webgpu.json"), load("torch_cuda.json")
def key(r):
    return (r["arch"], r["size"], r["batch"])
torch_fp32 = {key(r): r for r in torch.get("rows", []) if r.get("precision") == "fp32"}
compare = []
for r in tfjs.get("rows", []):
    t = torch_fp32.get(key(r))
    if r.get("status") == "ok" and t and t.get("status") == "ok":
        compare.append({"arch": r["arch"], "size": r["size"], "batch": r["batch"],
                        "tfjsWebgpuMs": r["medianMs"], "torchFp32Ms": t["medianMs"],
                        "torchSpeedup": round(r["medianMs"] / t["medianMs"], 2)})
report = {"tfjsWebgpu": tfjs, "torch": torch, "compare": compare}
with open(os.path.join(out, "gpu_check.json"), "w") as f:
    json.dump(report, f, indent=2)
for c in compare:
    print(f"{c['arch']} {c['size']}px b{c['batch']}: tfjs webgpu {c['tfjsWebgpuMs']} ms/step, "
          f"torch fp32 on {torch.get('device')} {c['torchFp32Ms']} ms/step "
          f"(ratio {c['torchSpeedup']})")
check = tfjs.get("check") or {}
print("tfjs webgpu gradient check vs cpu:", check.get("pass"), check.get("worstRelativeError"))
EOF
stamp "done: $OUT/gpu_check.json"
