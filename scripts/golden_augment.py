#!/usr/bin/python3
"""Reference outputs for shared/augment tests, computed with torchvision 0.14 on PIL images.

Usage: /usr/bin/python3 scripts/golden_augment.py SPEC.json OUT_DIR

SPEC.json: {"cases": [{"id": str, "image": str, "steps": [{"op": str, "args": {...}}]}]}
Each case applies its steps in order to a named test image (see IMAGES) with
torchvision.transforms.functional, the way torchvision's transforms would on a PIL image.

Writes to OUT_DIR:
  in_<image>.raw   the input pixels, HWC uint8 (so the TypeScript side sees the same input)
  out_<id>.raw     the output pixels, HWC uint8
  results.json     {"images": {name: [w, h, c]}, "outputs": {id: [w, h, c]}, "values": {id: [...]}}
Ops whose answer is numbers rather than an image ("rrc_params") put them in "values".
"""

import json
import os
import sys

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as F
from PIL import Image
from torchvision.transforms import InterpolationMode

SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data"


def photo(name, box, size):
    """A real photo, cropped to `box` (or whole) and downscaled to `size` so tests stay fast."""
    img = Image.open(os.path.join(SKIMAGE_DATA, name)).convert("RGB")
    if box is not None:
        img = img.crop(box)
    return img.resize(size, Image.BILINEAR)


def noise(w, h, seed):
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB")


def gradient(w, h):
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 7 % 256], -1)
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def color_grid(levels, width):
    """Every (r, g, b) combination of `levels`, laid out row-major in rows of `width` pixels."""
    lv = np.array(levels, dtype=np.uint8)
    r, g, b = np.meshgrid(lv, lv, lv, indexing="ij")
    px = np.stack([r.ravel(), g.ravel(), b.ravel()], -1)
    assert len(px) % width == 0, "color grid must fill whole rows"
    return Image.fromarray(px.reshape(len(px) // width, width, 3), "RGB")


IMAGES = {
    "astronaut": lambda: photo("astronaut.png", None, (128, 128)),
    "coffee": lambda: photo("coffee.png", None, (128, 85)),
    "chelsea": lambda: photo("chelsea.png", (60, 30, 380, 270), (112, 84)),
    "astronaut_l": lambda: photo("astronaut.png", None, (96, 96)).convert("L"),
    "noise_7x5": lambda: noise(7, 5, 1),
    "noise_1x1": lambda: noise(1, 1, 2),
    "noise_2x3": lambda: noise(2, 3, 3),
    "noise_12x12": lambda: noise(12, 12, 4),
    "gradient_16x9": lambda: gradient(16, 9),
    # every level once per channel, in different orders
    "levels_16x16": lambda: Image.fromarray(
        np.stack([np.arange(256), 255 - np.arange(256), np.arange(256) * 7 % 256], -1)
        .astype(np.uint8).reshape(16, 16, 3), "RGB"),
    "flat_9x6": lambda: Image.new("RGB", (9, 6), (200, 30, 90)),
    # edge levels around 0, the midpoint and 255: 10^3 colours
    "colors_40x25": lambda: color_grid([0, 1, 2, 50, 127, 128, 129, 200, 254, 255], 40),
    # a dense sample of the RGB cube for the HSV round trip: 65^3 colours
    "colors_dense": lambda: color_grid(list(range(0, 256, 4)) + [255], 65 * 65),
}


def make_image(name):
    """A named test image; "blank_WxH" is a black image of any size (for crop geometry)."""
    if name.startswith("blank_"):
        w, h = (int(v) for v in name[len("blank_"):].split("x"))
        return Image.new("RGB", (w, h))
    return IMAGES[name]()


def apply(img, op, a):
    if op == "hflip":
        return F.hflip(img)
    if op == "vflip":
        return F.vflip(img)
    if op == "rotate":
        return F.rotate(img, a["angle"], interpolation=InterpolationMode.BILINEAR, fill=a.get("fill"))
    if op == "adjust_brightness":
        return F.adjust_brightness(img, a["factor"])
    if op == "adjust_contrast":
        return F.adjust_contrast(img, a["factor"])
    if op == "adjust_saturation":
        return F.adjust_saturation(img, a["factor"])
    if op == "adjust_hue":
        return F.adjust_hue(img, a["factor"])
    if op == "rgb_to_grayscale":
        return F.rgb_to_grayscale(img, num_output_channels=a["channels"])
    if op == "gaussian_blur":
        return F.gaussian_blur(img, a["kernel"], a["sigma"])
    if op == "resized_crop":
        return F.resized_crop(
            img, a["top"], a["left"], a["height"], a["width"], [a["out_height"], a["out_width"]],
            InterpolationMode.BILINEAR,
        )
    raise ValueError(f"unknown op {op!r}")


def rrc_params(img, a):
    """RandomResizedCrop.get_params under several torch seeds; used where the answer is
    seed-independent (the centre-crop fallback), so every seed must agree."""
    got = set()
    for seed in range(5):
        torch.manual_seed(seed)
        got.add(T.RandomResizedCrop.get_params(img, a["scale"], a["ratio"]))
    if len(got) != 1:
        raise ValueError(f"get_params depends on the seed here: {sorted(got)}")
    top, left, h, w = got.pop()
    return [left, top, w, h]


def shape(img):
    arr = np.asarray(img)
    return [arr.shape[1], arr.shape[0], 1 if arr.ndim == 2 else arr.shape[2]]


def main():
    spec_path, out_dir = sys.argv[1], sys.argv[2]
    with open(spec_path) as f:
        spec = json.load(f)
    images, outputs, values, cache = {}, {}, {}, {}
    for case in spec["cases"]:
        name = case["image"]
        if name not in cache:
            cache[name] = make_image(name)
            images[name] = shape(cache[name])
            np.ascontiguousarray(np.asarray(cache[name])).tofile(os.path.join(out_dir, f"in_{name}.raw"))
        img = cache[name]
        steps = case["steps"]
        if len(steps) == 1 and steps[0]["op"] == "rrc_params":
            values[case["id"]] = rrc_params(img, steps[0]["args"])
            continue
        for step in steps:
            img = apply(img, step["op"], step.get("args", {}))
        outputs[case["id"]] = shape(img)
        np.ascontiguousarray(np.asarray(img)).tofile(os.path.join(out_dir, f"out_{case['id']}.raw"))
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"images": images, "outputs": outputs, "values": values}, f)


if __name__ == "__main__":
    main()
