#!/usr/bin/python3
"""Convert a PyTorch .pth state_dict (e.g. torchvision's ImageNet weights) to safetensors.

Written by hand with only torch + json + struct, because the `safetensors` package is not
available here. Layout (https://github.com/huggingface/safetensors#format):
8-byte little-endian header length N, N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}
(names sorted, padded with spaces to a multiple of 8 bytes), then the raw little-endian
tensor bytes in the same order, with no holes.

Usage:
  /usr/bin/python3 scripts/pth_to_safetensors.py resnet18-f37072fd.pth resnet18.safetensors
  /usr/bin/python3 scripts/pth_to_safetensors.py in.pth out.safetensors --dtype F16
"""
import argparse
import json
import struct
import sys

import torch

_DTYPES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}
_CAST = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def tensor_bytes(t):
    """Raw little-endian bytes of a tensor, in row-major (C) order."""
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:
        # numpy has no bfloat16: reinterpret the same 16 bits as int16.
        t = t.view(torch.int16)
    a = t.numpy()
    if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and sys.byteorder == "big"):
        a = a.byteswap().newbyteorder()
    return a.tobytes(order="C")


def save_safetensors(state_dict, path, metadata=None):
    """Write `state_dict` (name -> tensor) to `path` in the safetensors format."""
    header = {}
    chunks = []
    offset = 0
    for name in sorted(state_dict):
        t = state_dict[name]
        if t.dtype not in _DTYPES:
            raise TypeError(f"{name}: dtype {t.dtype} has no safetensors name")
        raw = tensor_bytes(t)
        header[name] = {
            "dtype": _DTYPES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


def load_state_dict(path):
    """A plain state_dict from a .pth file, unwrapping the usual {"state_dict": ...} wrappers."""
    # weights_only: a .pth is a pickle; never run code from a downloaded file
    obj = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(torch.is_tensor(v) for v in obj.values()):
        raise TypeError(f"{path}: not a state_dict of tensors")
    # DataParallel checkpoints prefix every name with "module."
    if obj and all(k.startswith("module.") for k in obj):
        obj = {k[len("module."):]: v for k, v in obj.items()}
    return obj


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", help="input .pth (a state_dict)")
    ap.add_argument("dst", help="output .safetensors")
    ap.add_argument("--dtype", choices=sorted(_CAST), help="cast floating-point tensors (default: keep)")
    args = ap.parse_args(argv)
    try:
        sd = load_state_dict(args.src)
    except Exception as e:  # noqa: BLE001 - report any load failure with the file name
        print(f"{args.src}: cannot load: {e}", file=sys.stderr)
        return 1
    if args.dtype:
        sd = {k: (v.to(_CAST[args.dtype]) if v.is_floating_point() else v) for k, v in sd.items()}
    save_safetensors(sd, args.dst, {"format": "pt", "source": args.src.rsplit("/", 1)[-1]})
    n = sum(v.numel() for v in sd.values())
    print(f"{args.dst}: {len(sd)} tensors, {n} values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
