import assert from "node:assert/strict";
import { Golden, type GoldenJob, maxAbsDiff, SKIMAGE_DATA } from "../scripts/golden_preprocess.ts";
import { centerCrop } from "./center_crop.ts";
import { crop } from "./crop.ts";
import { type Image, makeImage } from "./image.ts";
import { resize, type ResizeFilter } from "./resize.ts";
import { centerCropOffsets, resizeCrop } from "./resize_crop.ts";
import { Rng } from "./rng.ts";

/** Noise with saturated pixels (exercises bicubic overshoot and clipping). */
function synthetic(width: number, height: number, channels: 1 | 3, seed: number): Image {
  const rng = new Rng(seed);
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) {
    data[i] = rng.next() < 0.3 ? (rng.next() < 0.5 ? 0 : 255) : rng.int(0, 255);
  }
  return makeImage(width, height, channels, data);
}

interface Case {
  name: string;
  photo?: string;
  make?: () => Image;
  /** Resized size [w, h]. */
  size: [number, number];
  /** Crop window [left, top, width, height] in resized pixels. */
  window: [number, number, number, number];
}

const CASES: Case[] = [
  // torchvision's ImageNet eval: Resize(256) + CenterCrop(224) of a 600x400 photo.
  {
    name: "coffee 600x400 -> 384x256, centre 224",
    photo: "coffee.png",
    size: [384, 256],
    window: [80, 16, 224, 224],
  },
  {
    name: "chelsea 451x300 -> 32x32, corner",
    photo: "chelsea.png",
    size: [32, 32],
    window: [0, 0, 20, 7],
  },
  {
    name: "chelsea upscale, inner window",
    photo: "chelsea.png",
    size: [700, 333],
    window: [301, 17, 50, 290],
  },
  {
    name: "astronaut window reaching outside (padding)",
    photo: "astronaut.png",
    size: [100, 90],
    window: [-7, 80, 120, 30],
  },
  {
    name: "window entirely outside",
    make: () => synthetic(9, 7, 3, 1),
    size: [5, 5],
    window: [6, -9, 3, 4],
  },
  {
    name: "same size: a plain crop",
    make: () => synthetic(30, 20, 3, 2),
    size: [30, 20],
    window: [3, 4, 10, 12],
  },
  {
    name: "width kept: vertical pass only",
    make: () => synthetic(30, 20, 3, 3),
    size: [30, 47],
    window: [5, 9, 20, 30],
  },
  {
    name: "height kept: horizontal pass only",
    make: () => synthetic(30, 20, 3, 4),
    size: [11, 20],
    window: [2, 3, 8, 15],
  },
  {
    name: "extreme aspect",
    make: () => synthetic(300, 2, 3, 5),
    size: [17, 9],
    window: [4, 1, 9, 8],
  },
  {
    name: "grayscale",
    make: () => synthetic(41, 37, 1, 6),
    size: [23, 61],
    window: [1, 5, 22, 50],
  },
];
const FILTERS: ResizeFilter[] = ["nearest", "bilinear", "bicubic"];

Deno.test("resizeCrop equals PIL resize(size, filter).crop(box) bit for bit", async () => {
  const golden = await Golden.create();
  try {
    const photos = [...new Set(CASES.flatMap((c) => (c.photo ? [c.photo] : [])))];
    const decoded = await golden.run(photos.map((p, i) => ({
      op: "decode",
      input: `${SKIMAGE_DATA}/${p}`,
      out: golden.path(`photo${i}.rgb`),
    })));
    const jobs: GoldenJob[] = [];
    const runs: { name: string; img: Image; c: Case; filter: ResizeFilter; out: string }[] = [];
    for (const [ci, c] of CASES.entries()) {
      let img: Image;
      if (c.photo) {
        const i = photos.indexOf(c.photo);
        const { width, height } = decoded[i] as { width: number; height: number };
        img = makeImage(width, height, 3, await Deno.readFile(golden.path(`photo${i}.rgb`)));
      } else {
        img = c.make!();
      }
      const input = await golden.rawInput(`in${ci}`, img);
      const [l, t, w, h] = c.window;
      for (const filter of FILTERS) {
        const resized = golden.path(`resized${ci}_${filter}.raw`);
        const out = golden.path(`out${ci}_${filter}.raw`);
        jobs.push({ op: "resize", input, size: c.size, filter, out: resized });
        jobs.push({
          op: "crop",
          input: { ...input, raw: resized, width: c.size[0], height: c.size[1] },
          box: [l, t, l + w, t + h],
          out,
        });
        runs.push({ name: `${c.name} [${filter}]`, img, c, filter, out });
      }
    }
    await golden.run(jobs);
    const failures: string[] = [];
    for (const r of runs) {
      const [l, t, w, h] = r.c.window;
      const ours = resizeCrop(r.img, r.c.size[0], r.c.size[1], r.filter, l, t, w, h);
      assert.deepEqual([ours.width, ours.height, ours.channels], [w, h, r.img.channels], r.name);
      const d = maxAbsDiff(ours.data, await Deno.readFile(r.out));
      if (d !== 0) failures.push(`${r.name}: max diff ${d}`);
    }
    assert.deepEqual(failures, []);
  } finally {
    await golden.close();
  }
});

Deno.test("resizeCrop pads with the fill colour where crop() would", () => {
  const img = synthetic(13, 11, 3, 7);
  const windows: [number, number, number, number][] = [
    [-3, -2, 20, 4],
    [5, 6, 9, 9],
    [-1, 0, 1, 1],
    [30, 30, 2, 2],
  ];
  for (const filter of FILTERS) {
    for (const [l, t, w, h] of windows) {
      const want = crop(resize(img, 17, 8, filter), l, t, w, h, [10, 200, 30]);
      const got = resizeCrop(img, 17, 8, filter, l, t, w, h, [10, 200, 30]);
      assert.deepEqual(got, want, `${filter} ${[l, t, w, h]}`);
    }
  }
});

Deno.test("centerCropOffsets is the window centerCrop takes", () => {
  // Each pixel holds its own coordinates, so the crop's first in-image pixel gives its offset.
  for (let w = 1; w <= 12; w++) {
    for (let h = 1; h <= 12; h++) {
      const data = new Uint8Array(w * h * 3);
      for (let i = 0; i < w * h; i++) data.set([i % w, Math.floor(i / w), 1], i * 3);
      const img = makeImage(w, h, 3, data);
      for (const [cw, chh] of [[1, 1], [3, 5], [12, 7], [14, 13], [w, h], [w + 1, h - 1 || 1]]) {
        const [left, top] = centerCropOffsets(w, h, cw, chh);
        assert.deepEqual(
          crop(img, left, top, cw, chh, 255),
          centerCrop(img, cw, chh, 255),
          `${w}x${h} crop ${cw}x${chh}`,
        );
      }
    }
  }
});

Deno.test("resizeCrop rejects bad windows and sizes", () => {
  const img = synthetic(8, 6, 3, 8);
  const bad: [number, number, number, number, number, number][] = [
    [0, 6, 0, 0, 2, 2],
    [8, 6, 0.5, 0, 2, 2],
    [8, 6, 0, 0, 0, 2],
    [8, 6, 0, 0, 2, -1],
  ];
  for (const [w, h, l, t, cw, ch] of bad) {
    assert.throws(() => resizeCrop(img, w, h, "bilinear", l, t, cw, ch), RangeError);
  }
  assert.throws(() => resizeCrop(img, 4, 4, "bilinear", 0, 0, 2, 2, [300, 0, 0]), RangeError);
});
