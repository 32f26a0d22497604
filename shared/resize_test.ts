import assert from "node:assert/strict";
import { Golden, type GoldenJob, maxAbsDiff, SKIMAGE_DATA } from "../scripts/golden_preprocess.ts";
import { type Image, makeImage } from "./image.ts";
import { resize, type ResizeBox, type ResizeFilter, resizeWindow } from "./resize.ts";
import { Rng } from "./rng.ts";

/** Noise plus a gradient: exercises every level and sharp edges (bicubic overshoot). */
function synthetic(width: number, height: number, channels: 1 | 3 | 4, seed: number): Image {
  const rng = new Rng(seed);
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) {
    data[i] = rng.next() < 0.3 ? (rng.next() < 0.5 ? 0 : 255) : rng.int(0, 255);
  }
  return makeImage(width, height, channels, data);
}

interface Case {
  name: string;
  /** A skimage photo (decoded by Pillow) or a synthetic image. */
  photo?: string;
  make?: () => Image;
  size: [number, number];
  filters?: ResizeFilter[];
  box?: ResizeBox;
}

const ALL: ResizeFilter[] = ["nearest", "bilinear", "bicubic"];
const CASES: Case[] = [
  { name: "astronaut 512x512 -> 224x224", photo: "astronaut.png", size: [224, 224] },
  { name: "coffee 600x400 -> 341x224", photo: "coffee.png", size: [341, 224] },
  { name: "chelsea 451x300 -> 97x61 (strong downscale)", photo: "chelsea.png", size: [97, 61] },
  { name: "chelsea 451x300 -> 700x333 (upscale)", photo: "chelsea.png", size: [700, 333] },
  { name: "coffee box crop", photo: "coffee.png", size: [128, 128], box: [100.5, 50.25, 400, 350] },
  { name: "1x1 -> 1x1 (same size)", make: () => synthetic(1, 1, 3, 1), size: [1, 1] },
  { name: "1x1 -> 5x3 (upscale)", make: () => synthetic(1, 1, 3, 2), size: [5, 3] },
  { name: "1x9 -> 1x4", make: () => synthetic(1, 9, 3, 3), size: [1, 4] },
  { name: "9x1 -> 4x1", make: () => synthetic(9, 1, 3, 4), size: [4, 1] },
  { name: "9x1 -> 4x6 (mixed)", make: () => synthetic(9, 1, 3, 5), size: [4, 6] },
  { name: "300x2 -> 17x2 (extreme aspect)", make: () => synthetic(300, 2, 3, 6), size: [17, 2] },
  { name: "2x300 -> 3x25 (extreme aspect)", make: () => synthetic(2, 300, 3, 7), size: [3, 25] },
  { name: "37x23 same size", make: () => synthetic(37, 23, 3, 8), size: [37, 23] },
  { name: "37x23 -> 37x11 (vertical only)", make: () => synthetic(37, 23, 3, 9), size: [37, 11] },
  {
    name: "37x23 -> 80x23 (horizontal only)",
    make: () => synthetic(37, 23, 3, 10),
    size: [80, 23],
  },
  { name: "64x48 -> 13x200", make: () => synthetic(64, 48, 3, 11), size: [13, 200] },
  { name: "L 50x40 -> 21x33", make: () => synthetic(50, 40, 1, 12), size: [21, 33] },
  {
    name: "same size with a box",
    make: () => synthetic(40, 30, 3, 13),
    size: [40, 30],
    box: [0.5, 0, 40, 30],
  },
  {
    name: "integer box crop",
    make: () => synthetic(40, 30, 3, 14),
    size: [10, 5],
    box: [3, 4, 13, 9],
  },
];

Deno.test("resize matches PIL.Image.resize bit for bit", async () => {
  const golden = await Golden.create();
  try {
    // Pillow decodes the photos, so this test does not depend on our decoder.
    const photos = [...new Set(CASES.flatMap((c) => (c.photo ? [c.photo] : [])))];
    const decoded = await golden.run(photos.map((p, i) => ({
      op: "decode",
      input: `${SKIMAGE_DATA}/${p}`,
      out: golden.path(`photo${i}.rgb`),
    })));
    const inputs = new Map<string, Image>();
    for (const [i, p] of photos.entries()) {
      const meta = decoded[i] as { width: number; height: number };
      const data = await Deno.readFile(golden.path(`photo${i}.rgb`));
      inputs.set(p, makeImage(meta.width, meta.height, 3, data));
    }

    const runs: { name: string; img: Image; c: Case; filter: ResizeFilter; out: string }[] = [];
    const jobs: GoldenJob[] = [];
    for (const [ci, c] of CASES.entries()) {
      const img = c.photo ? inputs.get(c.photo)! : c.make!();
      const input = c.photo ? `${SKIMAGE_DATA}/${c.photo}` : await golden.rawInput(`in${ci}`, img);
      for (const filter of c.filters ?? ALL) {
        const out = golden.path(`out${ci}_${filter}.raw`);
        runs.push({ name: `${c.name} [${filter}]`, img, c, filter, out });
        jobs.push({ op: "resize", input, size: c.size, filter, box: c.box, out });
      }
    }
    await golden.run(jobs);
    const failures: string[] = [];
    for (const r of runs) {
      const ours = resize(r.img, r.c.size[0], r.c.size[1], r.filter, r.c.box);
      const want = await Deno.readFile(r.out);
      assert.equal(ours.width, r.c.size[0]);
      assert.equal(ours.height, r.c.size[1]);
      assert.equal(ours.channels, r.img.channels);
      const d = maxAbsDiff(ours.data, want);
      if (d !== 0) failures.push(`${r.name}: max diff ${d}`);
    }
    assert.deepEqual(failures, []);
  } finally {
    await golden.close();
  }
});

Deno.test("resize returns a new buffer and leaves the input alone", () => {
  const img = synthetic(8, 6, 3, 20);
  const before = img.data.slice();
  for (const [w, h] of [[8, 6], [4, 3], [16, 12]]) {
    const out = resize(img, w, h, "bicubic");
    assert.notEqual(out.data, img.data);
    assert.deepEqual(img.data, before);
  }
});

Deno.test("resize rejects bad sizes and boxes", () => {
  const img = synthetic(8, 6, 3, 21);
  const bad: [number, number, ResizeBox | undefined][] = [
    [0, 5, undefined],
    [5, -1, undefined],
    [2.5, 3, undefined],
    [4, 4, [-1, 0, 8, 6]],
    [4, 4, [0, 0, 9, 6]],
    [4, 4, [5, 0, 4, 6]],
  ];
  for (const [w, h, box] of bad) {
    assert.throws(() => resize(img, w, h, "bilinear", box), RangeError, `${w}x${h} ${box}`);
  }
});

Deno.test("resizeWindow rejects windows outside the output", () => {
  const img = synthetic(8, 6, 3, 22);
  const box: ResizeBox = [0, 0, 8, 6];
  const bad = [
    { left: -1, top: 0, width: 2, height: 2 },
    { left: 0, top: 0, width: 5, height: 2 },
    { left: 3, top: 2, width: 2, height: 3 },
    { left: 0, top: 0, width: 0, height: 2 },
    { left: 0.5, top: 0, width: 2, height: 2 },
  ];
  for (const win of bad) {
    assert.throws(
      () => resizeWindow(img, 4, 4, "bilinear", box, win),
      RangeError,
      JSON.stringify(win),
    );
  }
});
