#!/usr/bin/env bash
# GPU check for the lent NVIDIA machine (see docs/device/README.md; scripts/pack_for_device.sh
# prepares .gl/ and .device_pack/ here first). One device call runs it all:
#
#   run(command="bash scripts/gpu_check.sh", carry=[".gl", ".device_pack"], timeout_s=420)
#
# 1. system.txt: nvidia-smi, the Vulkan loader (unpacked from the carried .debs: that machine
#    has none) and NVIDIA ICD, the environment, vulkaninfo --summary where it exists.
# 2. PyTorch on CUDA first (short, the baseline): scripts/gpu_bench_torch.py -> torch_cuda.json.
# 3. Which WebGPU adapter Deno's wgpu finds with only its Vulkan backend and with only its GL
#    backend (one line each in the log and system.txt); when Vulkan gives a hardware adapter,
#    the tfjs run is pinned to it (DENO_WEBGPU_BACKEND=vulkan).
# 4. tfjs on WebGPU, the bundled scripts/gpu_bench_tfjs.ts: tfjs_adapter.json at once (adapter
#    info, limits, features, env), then tfjs_webgpu.json rewritten after every part: raw WebGPU
#    probe, gradient check vs the cpu backend, diagnosis (WebGPU calls per step at two batch
#    sizes, tf.time, tf.profile), with edgeclass's webgpu patches on (train/webgpu/: writeBuffer
#    uploads, tiled Conv2DBackpropFilter); then timed steps of the OFF configs with the patches
#    off (tfjs's stock code, the baseline: 2 timed steps) and of the configs with them on
#    (ResNet18 224 last; the budget and a step-time prediction skip what does not fit).
# 5. scripts/setup_gpu.ts's report (setup_gpu.txt): the CUDA 11.2 / cuDNN 8 libraries
#    tfjs-node-gpu would lack.
# 6. gpu_check.json: all of it merged, tfjs/torch ratios and one finding per hypothesis.
# Every part has its own time limit, so a hang in one leaves the others' results; about 3 min
# in all, under 6 at worst. At most 7 files come back (the device tool returns 8).
#
# Here (no NVIDIA GPU) it also runs, on llvmpipe and CPU torch, with small configs (~1 min):
#   OUT=/tmp/gpu_check GPU_CHECK_CONFIGS=simple_cnn:16:8 GPU_CHECK_OFF_CONFIGS=simple_cnn:16:8 \
#     GPU_CHECK_DIAG=simple_cnn:16:2,simple_cnn:16:8 GPU_CHECK_STEPS=1 GPU_CHECK_OFF_STEPS=1 \
#     GPU_CHECK_TFJS_S=150 bash scripts/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-/tmp/gpu_check_out}"
mkdir -p "$OUT"
exec > >(tee -a "$OUT/gpu_check.log") 2>&1
CONFIGS="${GPU_CHECK_CONFIGS:-simple_cnn:32:128,resnet18:64:64,resnet18:224:64}"
OFF_CONFIGS="${GPU_CHECK_OFF_CONFIGS:-simple_cnn:32:128,resnet18:64:64}"
DIAG="${GPU_CHECK_DIAG:-simple_cnn:32:8,simple_cnn:32:128}"
STEPS="${GPU_CHECK_STEPS:-5}"
OFF_STEPS="${GPU_CHECK_OFF_STEPS:-2}"
TFJS_S="${GPU_CHECK_TFJS_S:-200}" # hard limit of the tfjs process; its own budget ends 40 s earlier
SYS="$OUT/system.txt"
t0=$(date +%s)
stamp() { echo "[$(($(date +%s) - t0)) s] $*"; }
# wgpu's GL backend complains on every adapter request without it
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg_runtime}"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"

stamp "gpu_check: configs $CONFIGS ($STEPS timed steps), patches off $OFF_CONFIGS ($OFF_STEPS)," \
  "diagnosis $DIAG, tfjs limit $TFJS_S s"
{
  echo "== nvidia-smi"
  timeout 20 nvidia-smi || echo "nvidia-smi unavailable"
  echo "== uname"
  uname -a
} >"$SYS" 2>&1
head -20 "$SYS"

# 1. Vulkan loader + NVIDIA ICD
# (grep -q would end the pipe early: ldconfig's SIGPIPE fails the pipeline under pipefail)
if ! ldconfig -p | grep 'libvulkan.so.1 ' >/dev/null; then
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
{
  echo "== environment"
  env | grep -E '^(VK_|DENO_WEBGPU|WGPU|LD_LIBRARY_PATH|__EGL|__GLX|XDG_RUNTIME_DIR)' | sort
  echo "== ldconfig: vulkan/EGL"
  ldconfig -p | grep -E 'libvulkan|libEGL|libGLX_nvidia|libnvidia-glcore' || echo "(none)"
  echo "== Vulkan ICD manifests"
  for dir in /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d; do
    for f in "$dir"/*.json; do [ -f "$f" ] && { echo "-- $f"; cat "$f"; echo; }; done
  done
  echo "== vulkaninfo --summary"
  if command -v vulkaninfo >/dev/null; then
    timeout 20 vulkaninfo --summary 2>&1 | head -80
  else
    echo "vulkaninfo not installed"
  fi
} >>"$SYS" 2>&1
sed -n '/^== environment/,/^== ldconfig/p' "$SYS" | sed '$d'
grep -A3 '^== vulkaninfo' "$SYS"

# 2. PyTorch on CUDA ('python3' there is the one with torch; here /usr/bin/python3 has it)
PY=python3
python3 -c 'import torch' 2>/dev/null || PY=/usr/bin/python3
stamp "PyTorch ($PY)"
PYTHONUNBUFFERED=1 timeout -k 5 60 "$PY" scripts/gpu_bench_torch.py --configs "$CONFIGS" \
  --steps "$STEPS" --warmup 2 --out "$OUT/torch_cuda.json"
stamp "torch exit status $?"

# 3. Deno: the carried binary, else one on PATH (here)
DENO=""
if [ -f .device_pack/deno.xz ]; then
  xz -dc .device_pack/deno.xz >/tmp/deno 2>/dev/null ||
    "$PY" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
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
  echo "== WebGPU adapter per wgpu backend (DENO_WEBGPU_BACKEND)" >>"$SYS"
  for b in vulkan gl; do
    line=$(DENO_WEBGPU_BACKEND=$b timeout -k 5 15 "${tfjs[@]}" --adapter-only 2>&1 >/dev/null |
      grep '^adapter:' | head -1)
    echo "$b: ${line:-no answer}" | tee -a "$SYS"
    if [ "$b" = vulkan ] && [[ "$line" == *"software=false"* ]]; then
      export DENO_WEBGPU_BACKEND=vulkan
      stamp "Vulkan gives a hardware adapter: tfjs runs with DENO_WEBGPU_BACKEND=vulkan"
    fi
  done
  stamp "tfjs on WebGPU"
  timeout -k 10 "$TFJS_S" "${tfjs[@]}" --backend webgpu --configs "$CONFIGS" --diag "$DIAG" \
    --steps "$STEPS" --off-configs "$OFF_CONFIGS" --off-steps "$OFF_STEPS" --warmup 1 \
    --budget-s $((TFJS_S - 40)) --out "$OUT/tfjs_webgpu.json" \
    --adapter-out "$OUT/tfjs_adapter.json" 2>&1 | grep --line-buffered -v 'XDG_RUNTIME_DIR\|^$'
  stamp "tfjs exit status ${PIPESTATUS[0]} (124: killed at the ${TFJS_S} s limit)"
  timeout 20 "$DENO" run -A --no-config scripts/setup_gpu.ts >"$OUT/setup_gpu.txt" 2>&1
  sed -n '/^missing\|^all /,$p' "$OUT/setup_gpu.txt"
else
  stamp "no deno: tfjs part skipped"
fi

# 4. one merged JSON: tfjs/torch ratios per config, one finding per hypothesis
"$PY" - "$OUT" <<'EOF'
import json, os, sys
out = sys.argv[1]
def load(name):
    try:
        with open(os.path.join(out, name)) as f:
            return json.load(f)
    except Exception as e:  # noqa: BLE001
        return {"error": f"{name}: {e}"}
tfjs, torch, adapter = load("tfjs_webgpu.json"), load("torch_cuda.json"), load("tfjs_adapter.json")
def key(r):
    return (r["arch"], r["size"], r["batch"])
torch_fp32 = {key(r): r for r in torch.get("rows", []) if r.get("precision") == "fp32"}
compare = []
for r in tfjs.get("rows", []):
    t = torch_fp32.get(key(r))
    if r.get("medianMs") and t and t.get("status") == "ok":
        compare.append({"arch": r["arch"], "size": r["size"], "batch": r["batch"],
                        "patches": r.get("patches"),
                        "tfjsWebgpuMs": r["medianMs"], "tfjsSteps": len(r.get("stepMs", [])),
                        "tfjsStatus": r["status"], "torchFp32Ms": t["medianMs"],
                        "torchSpeedup": round(r["medianMs"] / t["medianMs"], 2)})

# findings: each hypothesis for the slow tfjs WebGPU steps, with the numbers that decide it
hp = adapter.get("highPerformance") or {}
probe = tfjs.get("probe") or {}
diag = tfjs.get("diagnosis") or {}
big = None  # the last diagnosis config's steady steps
for label, d in (diag.get("configs") or {}).items():
    if d.get("steps"):
        big = (label, d)
findings = {"a_software_adapter": {
    "software": hp.get("software"), "description": hp.get("description"),
    "vendor": hp.get("vendorName"), "isFallbackAdapter": hp.get("isFallbackAdapter"),
    "fmaGflops": (probe.get("fma") or {}).get("bestGflops")}}
if big:
    label, d = big
    steps = d["steps"]
    ms = sorted(s["ms"] for s in steps)[len(steps) // 2]
    c = steps[-1]["calls"]
    findings["step"] = {"config": label, "patches": tfjs.get("patches"), "medianMs": ms,
                        "callsPerStep": c}
    findings["b_map_latency"] = {
        "probeRoundTripMs": (probe.get("roundTrip") or {}).get("medianMs"),
        "mapAsyncsPerStep": c.get("mapAsyncs"), "mapAsyncMsPerStep": c.get("mapAsyncMs"),
        "shareOfStep": round(c.get("mapAsyncMs", 0) / ms, 3) if ms else None,
        "note": "mapAsync time includes waiting for the GPU to finish the step"}
    findings["c_dispatch_overhead"] = {
        "probePerDispatchMs": (probe.get("dispatch") or {}).get("perDispatchMs"),
        "dispatchesPerStep": c.get("dispatches"), "syncApiMsPerStep": c.get("syncApiMs"),
        "submitMsPerStep": c.get("submitMs"), "otherJsMsPerStep": c.get("otherMs"),
        "shareOfStep": round(c.get("syncApiMs", 0) / ms, 3) if ms else None}
    findings["d_pipeline_compiles"] = {
        "pipelinesFirstStep": (d.get("firstStep") or {}).get("calls", {}).get("pipelinesCreated"),
        "pipelinesPerLaterStep": c.get("pipelinesCreated"), "pipelineMs": c.get("pipelineMs")}
    findings["e_readbacks_per_step"] = {"mapAsyncsPerStep": c.get("mapAsyncs"),
                                        "expected": 1}
findings["f_gpu_kernel_time"] = {"tfTime": diag.get("time"),
    "profileTop": ((diag.get("profile") or {}).get("top") or [])[:8],
    "profileTotalKernelMs": (diag.get("profile") or {}).get("totalKernelMs")}
findings["batch_scaling"] = diag.get("batchScaling")
# g. edgeclass's webgpu patches (writeBuffer uploads, tiled Conv2DBackpropFilter): off vs on
by_patches = {}
for r in tfjs.get("rows", []):
    by_patches.setdefault(key(r), {})[r.get("patches")] = r
patches = []
for (arch, size, batch), p in by_patches.items():
    off, on = p.get("off") or {}, p.get("on") or {}
    def calls(r, k):
        return (r.get("lastStepCalls") or {}).get(k)
    entry = {"config": f"{arch}:{size}:{batch}", "offMs": off.get("medianMs"),
             "onMs": on.get("medianMs"), "offStatus": off.get("status"),
             "onStatus": on.get("status"),
             "getMappedRangePerStep": [calls(off, "mappedRanges"), calls(on, "mappedRanges")],
             "createBufferPerStep": [calls(off, "buffersCreated"), calls(on, "buffersCreated")]}
    if off.get("medianMs") and on.get("medianMs"):
        entry["speedup"] = round(off["medianMs"] / on["medianMs"], 2)
    patches.append(entry)
findings["g_patches_off_vs_on"] = patches
report = {"tfjsWebgpu": tfjs, "torch": torch, "adapter": adapter, "compare": compare,
          "findings": findings}
with open(os.path.join(out, "gpu_check.json"), "w") as f:
    json.dump(report, f, indent=2)
for c in compare:
    print(f"{c['arch']} {c['size']}px b{c['batch']} patches {c['patches']}: tfjs webgpu "
          f"{c['tfjsWebgpuMs']} ms/step "
          f"({c['tfjsSteps']} steps), torch fp32 on {torch.get('device')} {c['torchFp32Ms']} "
          f"ms/step (ratio {c['torchSpeedup']})")
check = tfjs.get("check") or {}
print("tfjs webgpu gradient check vs cpu:", check.get("pass"), check.get("worstRelativeError"))
print("findings:")
for k, v in findings.items():
    print(f"  {k}: {json.dumps(v)}")
EOF
stamp "done: $OUT/gpu_check.json"
