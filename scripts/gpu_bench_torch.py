#!/usr/bin/env python3
"""PyTorch half of scripts/gpu_check.sh: training-step times of the same models, input sizes,
batches, loss and optimiser as scripts/gpu_bench_tfjs.ts, on CUDA (or CPU where there is none).

Usage: python3 scripts/gpu_bench_torch.py [--configs simple_cnn:32:128,resnet18:64:64]
           [--steps 10] [--warmup 2] [--device cuda] [--out gpu_torch.json]

Models: the reference ports in scripts/torch_param_counts.py (SimpleCNN, torchvision resnet18).
Each step: zero_grad, train-mode forward, cross-entropy, backward, AdamW(lr 1e-3, wd 1e-4).
Two precisions per config: "fp32" (TF32 off for convolutions and matmuls, what tfjs computes)
and "default" (PyTorch's defaults: cuDNN convolutions may use TF32). Times come from CUDA
events around each step; a config that fails is recorded with its error.
"""
import argparse
import json
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_param_counts import build  # noqa: E402

NUM_CLASSES = 9


def parse_configs(text: str) -> list:
    out = []
    for entry in filter(None, text.split(",")):
        arch, size, batch = entry.split(":")
        out.append({"arch": arch, "size": int(size), "batch": int(batch)})
    return out


def median(xs: list) -> float:
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def bench(cfg: dict, precision: str, device: str, warmup: int, steps: int) -> dict:
    strict = precision == "fp32"
    torch.backends.cudnn.allow_tf32 = not strict
    torch.backends.cuda.matmul.allow_tf32 = False  # PyTorch's default, kept in both
    torch.manual_seed(1)
    model = build(cfg["arch"], NUM_CLASSES, cfg["size"]).to(device)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(cfg["batch"], 3, cfg["size"], cfg["size"], generator=g).to(device)
    y = (torch.arange(cfg["batch"]) % NUM_CLASSES).to(device)
    cuda = device.startswith("cuda")

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()  # waits for the step, like tfjs' await data()

    times, losses = [], []
    for _ in range(warmup + steps):
        if cuda:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            losses.append(step())
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        else:
            t = time.perf_counter()
            losses.append(step())
            times.append((time.perf_counter() - t) * 1000)
    timed = times[warmup:]
    med = median(timed)
    return {**cfg, "precision": precision, "status": "ok",
            "stepMs": [round(t, 3) for t in timed], "medianMs": round(med, 3),
            "imagesPerSecond": round(cfg["batch"] / (med / 1000)),
            "firstStepMs": round(times[0], 1), "firstLoss": losses[0], "lastLoss": losses[-1]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", default="simple_cnn:32:128,resnet18:64:64,resnet18:224:64")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--out", default="gpu_torch.json")
    a = ap.parse_args()
    rows = []
    t0 = time.perf_counter()
    for cfg in parse_configs(a.configs):
        for precision in ("fp32", "default"):
            label = f"{cfg['arch']} {cfg['size']}px batch {cfg['batch']} {precision}"
            try:
                row = bench(cfg, precision, a.device, a.warmup, a.steps)
                print(f"{label}: {row['medianMs']} ms/step, {row['imagesPerSecond']} img/s "
                      f"(loss {row['firstLoss']:.3f} -> {row['lastLoss']:.3f})", file=sys.stderr)
            except Exception as e:  # noqa: BLE001 - recorded, next config runs
                row = {**cfg, "precision": precision, "status": "failed",
                       "error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"}
                print(f"{label}: FAILED: {row['error']}", file=sys.stderr)
            rows.append(row)
            if a.device.startswith("cuda"):
                torch.cuda.empty_cache()
    report = {
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "device": torch.cuda.get_device_name(0) if a.device.startswith("cuda") else "cpu",
        "steps": a.steps,
        "warmup": a.warmup,
        "rows": rows,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    with open(a.out, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    return 0 if all(r["status"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
