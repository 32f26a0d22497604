#!/usr/bin/python3
"""Builds a tiny edgeclass ONNX model for edge tests, and evaluates it independently with torch.

Run with Debian's /usr/bin/python3 (torch 1.13, onnx 1.12, Pillow 9.4).

  make     --out m.onnx [--labels a,b,c] [--size 32] [--temperature 1] [--omit KEY] [--extra-outputs N]
           writes m.onnx (input `pixel_values` [N,3,H,W], output `logits` [N,C], edgeclass metadata
           in metadata_props) and m.pt (the torch state dict, for `forward`).
  forward  --weights m.pt --meta m.onnx (--images a.png ... | --tensor x.f32 --count N)
           prints JSON {"probs": [[...], ...]}: softmax(logits / temperature) computed by torch,
           preprocessing the images with Pillow (resize exact, bilinear) when --images is given.

The logits are a readable function of colour (the mean of each RGB channel) plus a small seeded
random conv net, so a red image is "red" and tests can check answers, not just numbers.
"""
import argparse
import json
import sys

import numpy as np
import onnx
import torch
from torch import nn

DEFAULT_LABELS = ["red", "green", "blue", "dark", "light"]


class TinyColorNet(nn.Module):
    """logits = colour head (fixed) + 0.5 * conv features (seeded random). Input [N,3,H,W]."""

    def __init__(self, num_classes: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.conv_head = nn.Linear(16, num_classes)
        # Fixed colour head on channel means in [-1, 1] (inputs are normalised with mean=std=0.5).
        colour = torch.zeros(num_classes, 3)
        rows = [[4, -2, -2], [-2, 4, -2], [-2, -2, 4], [-2, -2, -2], [2, 2, 2]]
        for i in range(min(num_classes, len(rows))):
            colour[i] = torch.tensor(rows[i], dtype=torch.float32)
        self.register_buffer("colour", colour)

    def forward(self, x):  # x: [N, 3, H, W]
        means = x.mean(dim=(2, 3))  # [N, 3]
        return means @ self.colour.t() + 0.5 * self.conv_head(self.features(x))  # [N, C]


def preprocess_config(size: int) -> dict:
    return {
        "version": 1,
        "resize": {"mode": "exact", "size": size, "filter": "bilinear"},
        "crop": None,
        "mean": [0.5, 0.5, 0.5],
        "std": [0.5, 0.5, 0.5],
        "layout": "CHW",
        "background": [255, 255, 255],
    }


def cmd_make(args) -> None:
    torch.manual_seed(args.seed)
    labels = args.labels.split(",") if args.labels else DEFAULT_LABELS
    num_outputs = len(labels) + args.extra_outputs
    model = TinyColorNet(num_outputs).eval()
    # Non-trivial BatchNorm statistics, so the exported graph carries real folded constants.
    with torch.no_grad():
        bn = model.features[1]
        bn.running_mean.uniform_(-0.2, 0.2)
        bn.running_var.uniform_(0.5, 1.5)
    dummy = torch.zeros(1, 3, args.size, args.size)
    torch.onnx.export(
        model,
        dummy,
        args.out,
        input_names=["pixel_values"],
        output_names=["logits"],
        dynamic_axes={"pixel_values": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=13,
    )
    stem = args.out[: -len(".onnx")] if args.out.endswith(".onnx") else args.out
    torch.save(model.state_dict(), stem + ".pt")
    m = onnx.load(args.out)
    props = {
        "edgeclass.labels": json.dumps(labels),
        "edgeclass.preprocess": json.dumps(preprocess_config(args.size)),
        "edgeclass.arch": json.dumps("tiny_color_net"),
        "edgeclass.input_size": json.dumps([args.size, args.size]),
        "edgeclass.metrics": json.dumps({"valTop1": 1.0}),
        "edgeclass.config_sha256": json.dumps(""),
        "edgeclass.version": json.dumps("0.1.0"),
        "edgeclass.temperature": json.dumps(args.temperature),
    }
    for key in args.omit or []:
        props.pop(key, None)
    onnx.helper.set_model_props(m, props)
    onnx.checker.check_model(m)
    onnx.save(m, args.out)


def load_model(weights: str, meta_path: str):
    m = onnx.load(meta_path, load_external_data=False)
    props = {p.key: json.loads(p.value) for p in m.metadata_props}
    state = torch.load(weights)
    model = TinyColorNet(state["conv_head.weight"].shape[0])
    model.load_state_dict(state)
    return model.eval(), props


def pillow_tensor(path: str, config: dict) -> torch.Tensor:
    """The eval pipeline with Pillow: RGB (alpha over background), resize exact, /255, normalise."""
    from PIL import Image

    img = Image.open(path)
    img.load()
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, tuple(config["background"]) + (255,))
        img = Image.alpha_composite(bg, img)
    img = img.convert("RGB")
    assert config["resize"]["mode"] == "exact" and config["crop"] is None, "tiny model config only"
    size = config["resize"]["size"]
    img = img.resize((size, size), Image.BILINEAR)
    x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)  # [3, H, W]
    mean = torch.tensor(config["mean"]).view(3, 1, 1)
    std = torch.tensor(config["std"]).view(3, 1, 1)
    return (x - mean) / std


def cmd_forward(args) -> None:
    model, props = load_model(args.weights, args.meta)
    config = props["edgeclass.preprocess"]
    temperature = props.get("edgeclass.temperature", 1.0)
    if args.images:
        x = torch.stack([pillow_tensor(p, config) for p in args.images])
    else:
        size = props["edgeclass.input_size"]
        raw = np.fromfile(args.tensor, dtype="<f4")
        x = torch.from_numpy(raw.copy()).view(args.count, 3, size[0], size[1])
    with torch.no_grad():
        logits = model(x)
        probs = torch.softmax(logits.double() / temperature, dim=1)
    json.dump({"probs": probs.tolist(), "logits": logits.tolist()}, sys.stdout)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    mk = sub.add_parser("make")
    mk.add_argument("--out", required=True)
    mk.add_argument("--labels", default="")
    mk.add_argument("--size", type=int, default=32)
    mk.add_argument("--seed", type=int, default=0)
    mk.add_argument("--temperature", type=float, default=1.0)
    mk.add_argument("--omit", action="append", help="metadata key to leave out (repeatable)")
    mk.add_argument("--extra-outputs", type=int, default=0, help="outputs beyond the labels (a broken model)")
    fw = sub.add_parser("forward")
    fw.add_argument("--weights", required=True)
    fw.add_argument("--meta", required=True)
    fw.add_argument("--images", nargs="*")
    fw.add_argument("--tensor")
    fw.add_argument("--count", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(1)
    if args.cmd == "make":
        cmd_make(args)
    else:
        cmd_forward(args)


if __name__ == "__main__":
    main()
