#!/usr/bin/python3
"""Test helper: a randomly initialised torchvision model, its weights as safetensors, and its
eval-mode logits on given inputs (the reference for tests/transfer_parity_test.ts).

BatchNorm weight, bias, running_mean and running_var (and every other bias) are randomised,
because with the default init (1, 0, 0, 1) a loader that drops or swaps BN statistics would
still produce the right logits.

Usage:
  /usr/bin/python3 scripts/make_torchvision_safetensors.py --arch resnet18 --num-classes 10 \
      --out model.safetensors [--input x.bin --shape 2,3,64,64 --logits logits.json] [--seed 0]

--input is raw little-endian float32 in NCHW order. --logits gets JSON
{"arch", "num_classes", "shape", "logits": [[...]], "bn_eps": [...], "logit_scale"}.
"""
import argparse
import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pth_to_safetensors import save_safetensors  # noqa: E402

ARCHS = {
    "resnet18": torchvision.models.resnet18,
    "efficientnet_b0": torchvision.models.efficientnet_b0,
}


def randomise(model, gen):
    """Give BN statistics and affine params, and all biases, non-trivial random values."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=gen) * 1.0 + 0.5)  # [0.5, 1.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.2)
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.2)
                m.running_var.copy_(torch.rand(c, generator=gen) * 1.5 + 0.5)  # [0.5, 2)
                m.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=gen)))
            elif isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.bias is not None:
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", choices=sorted(ARCHS), required=True)
    ap.add_argument("--num-classes", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, help="safetensors path to write")
    ap.add_argument("--dtype", choices=["F32", "F16", "BF16"], default="F32",
                    help="dtype of floating tensors in the file (the model is cast to it and back)")
    ap.add_argument("--input", help="raw float32 LE NCHW input for the reference forward")
    ap.add_argument("--shape", help="N,C,H,W of --input")
    ap.add_argument("--logits", help="JSON path for the eval-mode logits")
    args = ap.parse_args(argv)

    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed + 1)
    model = ARCHS[args.arch](num_classes=args.num_classes)
    randomise(model, gen)
    model.eval()
    cast = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}[args.dtype]
    sd = {k: (v.to(cast) if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    # The reference runs with exactly the (rounded) values that the file holds.
    model.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in sd.items()})
    save_safetensors(sd, args.out, {"format": "pt", "arch": args.arch})

    if args.input:
        shape = [int(s) for s in args.shape.split(",")]
        with open(args.input, "rb") as f:
            raw = f.read()
        x = torch.frombuffer(bytearray(raw), dtype=torch.float32).reshape(shape)
        with torch.no_grad():
            y = model(x)
        eps = sorted({m.eps for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)})
        out = {
            "arch": args.arch,
            "num_classes": args.num_classes,
            "shape": list(y.shape),
            "logits": y.tolist(),
            "bn_eps": eps,
            "logit_scale": float(y.abs().max()),
        }
        with open(args.logits, "w") as f:
            json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
