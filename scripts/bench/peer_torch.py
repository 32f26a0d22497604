#!/usr/bin/python3
"""Python peers of `deno task bench` (run with /usr/bin/python3; needs torch, torchvision, Pillow).

Modes:
  photos <dir>
      Writes <dir>/photo.jpg (quality 90) and <dir>/photo.png: skimage's coffee photo scaled by
      Pillow to 640x427, the "640x480-class" real photo of the edge section.
  edge <spec.json>
      For each job: Pillow decode -> torchvision transforms (the model's eval preprocessing) ->
      PyTorch eager forward at batch 1, timed stage by stage per iteration. Also writes the
      Pillow-made tensor ([1, 3, H, W] float32 little-endian) to job["tensor_out"], so the native
      ONNX Runtime peer (peer_ort_node.mjs) runs on exactly Pillow's input.
      Prints {"<job key>": {"decode": [ms...], "preprocess": [...], "inference": [...],
      "total": [...], "cpu_decode": [...], "cpu_preprocess": [...], "cpu_total": [...]}, ...}
      on stdout (cpu_*: process CPU time, ms).
  train <spec.json>
      Training steps (forward in train mode, cross-entropy, backward, SGD update) at the given
      batch; prints {"<arch>_<size>": {"img_per_s": [...per step...]}}. Fallback for the train
      section when scripts/bench_train.ts is absent.

spec.json (edge): {"threads": 1, "budget_s": 2, "min_n": 10, "max_n": 300, "warmup": 3,
  "jobs": [{"key", "arch", "size", "num_classes", "preprocess": <PreprocessConfig>, "image",
  "tensor_out"}]}
"""
import io
import json
import os
import sys
import time

import numpy as np
import torch
import torchvision.transforms as T
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from torch_param_counts import build  # noqa: E402  (the reference torch ports of our archs)

SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data"
FILTERS = {"nearest": T.InterpolationMode.NEAREST, "bilinear": T.InterpolationMode.BILINEAR,
           "bicubic": T.InterpolationMode.BICUBIC}


def photos(out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    im = Image.open(os.path.join(SKIMAGE_DATA, "coffee.png")).convert("RGB")
    im = im.resize((640, 427), Image.BILINEAR)
    im.save(os.path.join(out_dir, "photo.jpg"), quality=90)
    im.save(os.path.join(out_dir, "photo.png"))


def transform_for(cfg: dict) -> T.Compose:
    """torchvision eval transform equal to an edgeclass PreprocessConfig (CHW, RGB input)."""
    steps = []
    r = cfg["resize"]
    if r["mode"] == "exact":
        steps.append(T.Resize((r["size"], r["size"]), interpolation=FILTERS[r["filter"]]))
    elif r["mode"] == "shorter_side":
        steps.append(T.Resize(r["size"], interpolation=FILTERS[r["filter"]]))
    if cfg["crop"] is not None:
        steps.append(T.CenterCrop((cfg["crop"]["height"], cfg["crop"]["width"])))
    steps += [T.ToTensor(), T.Normalize(cfg["mean"], cfg["std"])]
    return T.Compose(steps)


def sample(step, warmup: int, budget_s: float, min_n: int, max_n: int) -> list:
    """Calls step() (which returns its own per-stage ms dict) until the time budget is spent."""
    for _ in range(warmup):
        step()
    rows = []
    start = time.perf_counter()
    while len(rows) < max_n and (len(rows) < min_n or time.perf_counter() - start < budget_s):
        rows.append(step())
    return rows


def decode(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im if im.mode == "RGB" else im.convert("RGB")


def edge(spec: dict) -> dict:
    torch.set_num_threads(spec["threads"])
    out = {}
    models = {}
    for job in spec["jobs"]:
        mkey = (job["arch"], job["size"], job["num_classes"])
        if mkey not in models:
            torch.manual_seed(1)
            models[mkey] = build(job["arch"], job["num_classes"], job["size"]).eval()
        model = models[mkey]
        tf = transform_for(job["preprocess"])
        with open(job["image"], "rb") as f:
            data = f.read()
        with open(job["tensor_out"], "wb") as f:
            f.write(tf(decode(data)).unsqueeze(0).numpy().astype("<f4").tobytes())

        def step():
            # Wall clock and this process's CPU time: on a shared machine CPU time is what load
            # from other users distorts least.
            c0, t0 = time.process_time(), time.perf_counter()
            im = decode(data)
            c1, t1 = time.process_time(), time.perf_counter()
            x = tf(im).unsqueeze(0)  # [1, 3, H, W]
            c2, t2 = time.process_time(), time.perf_counter()
            with torch.no_grad():
                model(x)
            c3, t3 = time.process_time(), time.perf_counter()
            return {"decode": (t1 - t0) * 1e3, "preprocess": (t2 - t1) * 1e3,
                    "inference": (t3 - t2) * 1e3, "total": (t3 - t0) * 1e3,
                    "cpu_decode": (c1 - c0) * 1e3, "cpu_preprocess": (c2 - c1) * 1e3,
                    "cpu_total": (c3 - c0) * 1e3}

        rows = sample(step, spec["warmup"], spec["budget_s"], spec["min_n"], spec["max_n"])
        out[job["key"]] = {k: [r[k] for r in rows] for k in rows[0]}
    return out


def train(spec: dict) -> dict:
    torch.set_num_threads(spec["threads"])
    out = {}
    for job in spec["jobs"]:
        torch.manual_seed(1)
        model = build(job["arch"], job["num_classes"], job["size"]).train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        b = job["batch"]
        x = torch.randn(b, 3, job["size"], job["size"])
        y = torch.randint(0, job["num_classes"], (b,))

        def step():
            t0 = time.perf_counter()
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            return {"img_per_s": b / (time.perf_counter() - t0)}

        rows = sample(step, 1, spec["budget_s"], spec["min_n"], spec["max_n"])
        out[job["key"]] = {"img_per_s": [r["img_per_s"] for r in rows]}
    return out


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] not in ("photos", "edge", "train"):
        sys.exit("usage: peer_torch.py photos <dir> | edge <spec.json> | train <spec.json>")
    mode, arg = sys.argv[1], sys.argv[2]
    if mode == "photos":
        photos(arg)
        return
    with open(arg) as f:
        spec = json.load(f)
    np.random.seed(0)
    print(json.dumps(edge(spec) if mode == "edge" else train(spec)))


if __name__ == "__main__":
    main()
