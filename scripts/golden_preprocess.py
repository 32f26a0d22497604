#!/usr/bin/python3
"""Reference outputs from Pillow 9.4 / torchvision 0.14 for the shared/ image contract tests.

Usage: /usr/bin/python3 scripts/golden_preprocess.py JOBS.json

JOBS.json is a list of jobs; each writes raw bytes to job["out"] and yields one result object
(printed together as a JSON list on stdout). An input ("input") is either a file path (opened
with Pillow) or {"raw": path, "width": w, "height": h, "mode": "RGB"|"L"|"RGBA"} (raw pixels).

ops:
  make        Write a test file: input converted to "mode" (optionally "alpha": "ramp" first,
              "orientation": EXIF orientation 1..8, "size": [w, h] resized with BILINEAR first,
              "crop": [l, t, r, b]), saved as "format" with "params" (save kwargs).
  decode      Pillow's view of a file as RGB: exif_transpose, then images with alpha (or palette
              transparency) composited with Image.alpha_composite over "background".
              Output: RGB bytes. Result: width, height, mode, or {"error": message}.
  resize      PIL.Image.resize(size, filter, box). Output: pixels in the input mode.
  center_crop torchvision.transforms.functional.center_crop([h, w]) (pads with 0).
  crop        PIL.Image.crop(box) (outside the image: 0).
  pad         torchvision.transforms.functional.pad(img, [l, t, r, b], fill).
  resize_shorter torchvision.transforms.functional.resize(img, size) with an int size.
  preprocess  decode, then Normalize(ToTensor(CenterCrop(Resize(img)))) per a PreprocessConfig
              (padding with "background" when the crop is larger). Output: float32 LE, CHW or HWC.
  bench       Median ms of decode+preprocess of "input" with "config" over "repeat" runs.
"""
import io
import json
import sys
import time

import numpy as np
from PIL import Image, ImageOps

FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
}


def load(spec):
    if isinstance(spec, str):
        im = Image.open(spec)
        im.load()
        return im
    data = open(spec["raw"], "rb").read()
    return Image.frombytes(spec["mode"], (spec["width"], spec["height"]), data)


def decode_rgb(im, background):
    im = ImageOps.exif_transpose(im)
    has_alpha = im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info
    if has_alpha:
        bg = Image.new("RGBA", im.size, tuple(background) + (255,))
        return Image.alpha_composite(bg, im.convert("RGBA")).convert("RGB")
    return im.convert("RGB")


def torch_pipeline(img, cfg):
    import torch
    import torchvision.transforms.functional as F
    from torchvision.transforms import InterpolationMode

    torch.set_num_threads(1)  # the machine is shared; one thread is also what the bench compares
    interp = {
        "nearest": InterpolationMode.NEAREST,
        "bilinear": InterpolationMode.BILINEAR,
        "bicubic": InterpolationMode.BICUBIC,
    }[cfg["resize"]["filter"]]
    r = cfg["resize"]
    if r["mode"] == "shorter_side":
        img = F.resize(img, r["size"], interp)
    elif r["mode"] == "exact":
        img = F.resize(img, [r["size"], r["size"]], interp)
    if cfg["crop"] is not None:
        ch, cw = cfg["crop"]["height"], cfg["crop"]["width"]
        w, h = img.size
        if cw > w or ch > h:
            # torchvision's own padding amounts, but with the configured background
            pad = [
                (cw - w) // 2 if cw > w else 0,
                (ch - h) // 2 if ch > h else 0,
                (cw - w + 1) // 2 if cw > w else 0,
                (ch - h + 1) // 2 if ch > h else 0,
            ]
            img = F.pad(img, pad, fill=tuple(int(v) for v in cfg["background"]))
        img = F.center_crop(img, [ch, cw])
    t = F.to_tensor(img)
    t = F.normalize(t, cfg["mean"], cfg["std"])
    if cfg["layout"] == "HWC":
        t = t.permute(1, 2, 0).contiguous()
    return t


def run(job):
    op = job["op"]
    if op == "make":
        im = load(job["input"])
        if "crop" in job:
            im = im.crop(tuple(job["crop"]))
        if "size" in job:
            im = im.resize(tuple(job["size"]), Image.Resampling.BILINEAR)
        if job.get("alpha") == "ramp":
            im = im.convert("RGBA")
            w, h = im.size
            yy, xx = np.mgrid[0:h, 0:w]
            a = ((xx * 7 + yy * 3) % 256).astype(np.uint8)
            arr = np.asarray(im).copy()
            arr[:, :, 3] = a
            im = Image.fromarray(arr, "RGBA")
        mode = job.get("mode")
        if mode == "I;16":
            arr = np.asarray(im.convert("L")).astype(np.uint16) * 257 + 3
            im = Image.fromarray(arr)
        elif mode == "RGB16":
            # 16-bit RGB PNG, written by hand since Pillow has no 16-bit RGB mode
            return write_png16(np.asarray(im.convert("RGB")), job["out"])
        elif mode:
            im = im.convert(mode)
        params = dict(job.get("params", {}))
        if "orientation" in job:
            exif = Image.Exif()
            exif[0x0112] = job["orientation"]
            params["exif"] = exif.tobytes()
        im.save(job["out"], job["format"], **params)
        return {"width": im.size[0], "height": im.size[1], "mode": im.mode}
    if op == "decode":
        try:
            rgb = decode_rgb(load(job["input"]), job.get("background", [255, 255, 255]))
        except Exception as e:  # noqa: BLE001 - the test wants Pillow's verdict, whatever it is
            return {"error": f"{type(e).__name__}: {e}"}
        open(job["out"], "wb").write(rgb.tobytes())
        return {"width": rgb.size[0], "height": rgb.size[1], "mode": rgb.mode}
    if op == "resize":
        im = load(job["input"])
        box = tuple(job["box"]) if job.get("box") else None
        out = im.resize(tuple(job["size"]), FILTERS[job["filter"]], box)
        open(job["out"], "wb").write(out.tobytes())
        return {"width": out.size[0], "height": out.size[1], "mode": out.mode}
    if op == "center_crop":
        import torchvision.transforms.functional as F

        out = F.center_crop(load(job["input"]), job["size"])
        open(job["out"], "wb").write(out.tobytes())
        return {"width": out.size[0], "height": out.size[1], "mode": out.mode}
    if op == "crop":
        out = load(job["input"]).crop(tuple(job["box"]))
        open(job["out"], "wb").write(out.tobytes())
        return {"width": out.size[0], "height": out.size[1], "mode": out.mode}
    if op == "pad":
        import torchvision.transforms.functional as F

        fill = job["fill"]
        out = F.pad(load(job["input"]), job["padding"], fill=tuple(fill) if isinstance(fill, list) else fill)
        open(job["out"], "wb").write(out.tobytes())
        return {"width": out.size[0], "height": out.size[1], "mode": out.mode}
    if op == "resize_shorter":
        import torchvision.transforms.functional as F

        from torchvision.transforms import InterpolationMode

        interp = InterpolationMode(job["filter"])
        out = F.resize(load(job["input"]), job["size"], interp)
        open(job["out"], "wb").write(out.tobytes())
        return {"width": out.size[0], "height": out.size[1], "mode": out.mode}
    if op == "preprocess":
        cfg = job["config"]
        im = load(job["input"])
        rgb = decode_rgb(im, cfg["background"]) if isinstance(job["input"], str) else im
        t = torch_pipeline(rgb, cfg)
        t.numpy().astype("<f4").tofile(job["out"])
        return {"shape": list(t.shape)}
    if op == "bench":
        cfg = job["config"]
        data = open(job["input"], "rb").read()
        times = []
        for _ in range(job["repeat"]):
            t0 = time.perf_counter()
            im = Image.open(io.BytesIO(data))
            t = torch_pipeline(decode_rgb(im, cfg["background"]), cfg)
            times.append((time.perf_counter() - t0) * 1000)
        return {"median_ms": float(np.median(times)), "shape": list(t.shape)}
    raise ValueError(f"unknown op {op!r}")


def write_png16(rgb8, path):
    import struct
    import zlib

    h, w, _ = rgb8.shape
    v = rgb8.astype(">u2") * 257 + 3  # distinct low byte, so dropping it is visible
    raw = b"".join(b"\x00" + v[y].tobytes() for y in range(h))

    def chunk(kind, body):
        c = struct.pack(">I", len(body)) + kind + body
        return c + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(path, "wb").write(png)
    return {"width": w, "height": h, "mode": "RGB16"}


def main():
    jobs = json.load(open(sys.argv[1]))
    print(json.dumps([run(j) for j in jobs]))


if __name__ == "__main__":
    main()
