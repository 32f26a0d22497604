#!/usr/bin/python3
"""PyTorch references for the tfjs models in train/models/ (run with /usr/bin/python3).

Modes:
  counts <num_classes> <size>...
      JSON on stdout: per arch and size, the trainable parameter count, the BatchNorm
      running-stat buffer count and the output shape of every leaf module (NCHW, batch 1).
  reference <arch> <num_classes> <size> <seed> <out_dir> [stochastic_depth_prob]
      Writes out_dir/index.json + out_dir/data.bin (float32 little-endian):
      - "state/<torch name>": every state_dict entry (except num_batches_tracked) already in
        tfjs layout (conv [kh,kw,in,out], depthwise [kh,kw,C,1], linear [in,out], the
        simple_cnn flatten permuted to NHWC order), with BatchNorm statistics randomized so
        that eval mode is a real test;
      - "input": a random NHWC batch [2, size, size, 3];
      - "eval_logits": the model's eval-mode output;
      - "train_features": train-mode output of the layer before the head (simple_cnn: the
        flatten, in NHWC order), no dropout involved;
      - "after_train/<torch name>": running_mean/running_var after that train-mode forward.

The torch port of SimpleCNN here is the reference definition of that architecture.
"""
import json
import os
import sys

import numpy as np
import torch
import torchvision
from torch import nn


class SimpleCNN(nn.Module):
    """3 x [Conv3x3(pad 1)-BN-ReLU-MaxPool2] (32, 64, 128), Linear(256)-ReLU-Dropout(0.5)-Linear."""

    def __init__(self, num_classes: int, input_size: int):
        super().__init__()
        layers = []
        cin = 3
        for c in (32, 64, 128):
            layers += [nn.Conv2d(cin, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                       nn.MaxPool2d(2)]
            cin = c
        self.features = nn.Sequential(*layers)
        s = input_size // 2 // 2 // 2
        self.classifier = nn.Sequential(nn.Linear(128 * s * s, 256), nn.ReLU(inplace=True),
                                        nn.Dropout(0.5), nn.Linear(256, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def build(arch: str, num_classes: int, size: int, sd_prob: float = 0.2) -> nn.Module:
    if arch == "simple_cnn":
        return SimpleCNN(num_classes, size)
    if arch == "resnet18":
        return torchvision.models.resnet18(num_classes=num_classes)
    if arch == "efficientnet_b0":
        return torchvision.models.efficientnet_b0(num_classes=num_classes,
                                                  stochastic_depth_prob=sd_prob)
    raise SystemExit(f"unknown arch {arch}")


ARCHS = ["simple_cnn", "resnet18", "efficientnet_b0"]


def leaf_shapes(model: nn.Module, size: int) -> dict:
    shapes = {}
    hooks = []
    for name, mod in model.named_modules():
        if len(list(mod.children())) == 0 and name:
            def hook(_m, _i, out, name=name):
                shapes[name] = list(out.shape)
            hooks.append(mod.register_forward_hook(hook))
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in hooks:
        h.remove()
    return shapes


def counts(num_classes: int, sizes: list) -> dict:
    out = {}
    for arch in ARCHS:
        out[arch] = {}
        for s in sizes:
            m = build(arch, num_classes, s)
            out[arch][str(s)] = {
                "trainable": sum(p.numel() for p in m.parameters() if p.requires_grad),
                "bn_buffers": sum(b.numel() for n, b in m.named_buffers()
                                  if n.endswith("running_mean") or n.endswith("running_var")),
                "shapes": leaf_shapes(m, s),
            }
    return out


def tfjs_layout(model: nn.Module, arch: str, size: int) -> dict:
    """state_dict entries transposed into the tfjs layout of the same-named layer."""
    modules = dict(model.named_modules())
    out = {}
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        a = t.detach().numpy().astype(np.float32)
        mod = modules[name.rsplit(".", 1)[0]]
        if isinstance(mod, nn.Conv2d) and name.endswith("weight"):
            if mod.groups == 1:
                a = a.transpose(2, 3, 1, 0)  # [out,in,kh,kw] -> [kh,kw,in,out]
            else:
                assert mod.groups == mod.in_channels == mod.out_channels
                a = a.transpose(2, 3, 0, 1)  # [C,1,kh,kw] -> [kh,kw,C,1]
        elif isinstance(mod, nn.Linear) and name.endswith("weight"):
            if arch == "simple_cnn" and name == "classifier.0.weight":
                s = size // 8
                # torch flattens [C,H,W]; tfjs flattens [H,W,C]
                a = a.reshape(a.shape[0], 128, s, s).transpose(2, 3, 1, 0).reshape(-1, a.shape[0])
            else:
                a = a.T
        out[name] = np.ascontiguousarray(a)
    return out


def reference(arch: str, num_classes: int, size: int, seed: int, out_dir: str,
              sd_prob: float) -> None:
    torch.manual_seed(seed)
    model = build(arch, num_classes, size, sd_prob)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=g) + 0.5)
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_(torch.randn(c, generator=g) * 0.1)
    arrays = {f"state/{k}": v for k, v in tfjs_layout(model, arch, size).items()}
    x_nhwc = torch.randn(2, size, size, 3, generator=g)
    x = x_nhwc.permute(0, 3, 1, 2).contiguous()
    arrays["input"] = x_nhwc.numpy()
    model.eval()
    with torch.no_grad():
        arrays["eval_logits"] = model(x).numpy()
    model.train()
    with torch.no_grad():
        if arch == "simple_cnn":
            f = model.features(x).permute(0, 2, 3, 1).reshape(2, -1)
        elif arch == "resnet18":
            body = nn.Sequential(*list(model.children())[:-1])  # up to avgpool
            f = torch.flatten(body(x), 1)
        else:
            f = torch.flatten(model.avgpool(model.features(x)), 1)
        arrays["train_features"] = f.numpy()
    for k, v in model.state_dict().items():
        if k.endswith("running_mean") or k.endswith("running_var"):
            arrays[f"after_train/{k}"] = v.numpy().astype(np.float32)
    os.makedirs(out_dir, exist_ok=True)
    index = {}
    offset = 0
    with open(os.path.join(out_dir, "data.bin"), "wb") as fh:
        for k, v in arrays.items():
            v = np.ascontiguousarray(v, dtype="<f4")
            fh.write(v.tobytes())
            index[k] = {"shape": list(v.shape), "offset": offset}
            offset += v.size
    with open(os.path.join(out_dir, "index.json"), "w") as fh:
        json.dump(index, fh)


def main() -> None:
    torch.set_num_threads(1)
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "counts":
        print(json.dumps(counts(int(sys.argv[2]), [int(s) for s in sys.argv[3:]])))
    elif mode == "reference":
        sd = float(sys.argv[7]) if len(sys.argv) > 7 else 0.2
        reference(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6],
                  sd)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
