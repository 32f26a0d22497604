import assert from "node:assert/strict";
import { Golden, type GoldenJob } from "../scripts/golden_preprocess.ts";
import { type Image, makeImage } from "./image.ts";
import type { ResizeFilter } from "./resize.ts";
import { resizeShorter, shorterSideSize } from "./resize_shorter.ts";
import { Rng } from "./rng.ts";

function noise(width: number, height: number, seed: number): Image {
  const rng = new Rng(seed);
  return makeImage(
    width,
    height,
    3,
    Uint8Array.from({ length: width * height * 3 }, () => rng.int(0, 255)),
  );
}

// [width, height, size, filter]
const CASES: [number, number, number, ResizeFilter][] = [
  [451, 300, 224, "bilinear"],
  [300, 451, 224, "bicubic"],
  [640, 427, 224, "bilinear"], // 224 * 640 / 427 = 335.7 -> 335
  [100, 100, 50, "nearest"],
  [7, 1000, 3, "bilinear"], // int(3 * 1000 / 7) = 428
  [20, 30, 64, "bicubic"], // upscale
  [224, 300, 224, "bilinear"], // already the right size
];

Deno.test("resizeShorter matches torchvision F.resize(img, int)", async () => {
  const golden = await Golden.create();
  try {
    const imgs = CASES.map(([w, h], i) => noise(w, h, i));
    const jobs: GoldenJob[] = [];
    for (const [i, [, , size, filter]] of CASES.entries()) {
      jobs.push({
        op: "resize_shorter",
        input: await golden.rawInput(`r${i}`, imgs[i]),
        size,
        filter,
        out: golden.path(`r${i}.out`),
      });
    }
    const meta = await golden.run(jobs);
    for (const [i, [w, h, size, filter]] of CASES.entries()) {
      const m = meta[i] as { width: number; height: number };
      const name = `${w}x${h} -> ${size} ${filter}`;
      assert.deepEqual(shorterSideSize(w, h, size), [m.width, m.height], name);
      const out = resizeShorter(imgs[i], size, filter);
      assert.deepEqual(out.data, await Deno.readFile(golden.path(`r${i}.out`)), name);
    }
  } finally {
    await golden.close();
  }
});

Deno.test("shorterSideSize rejects bad sizes", () => {
  for (const s of [0, -3, 1.5]) assert.throws(() => shorterSideSize(10, 10, s), RangeError);
});
