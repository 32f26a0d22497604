import assert from "node:assert/strict";
import { Golden, type GoldenJob } from "../scripts/golden_preprocess.ts";
import { centerCrop } from "./center_crop.ts";
import { type Image, makeImage } from "./image.ts";
import { Rng } from "./rng.ts";

function noise(width: number, height: number, seed: number): Image {
  const rng = new Rng(seed);
  return makeImage(
    width,
    height,
    3,
    Uint8Array.from({ length: width * height * 3 }, () => rng.int(1, 255)),
  );
}

// [image width, height, crop width, height]: odd differences hit Python's half-to-even round().
const CASES: [number, number, number, number][] = [
  [10, 10, 4, 4],
  [11, 10, 4, 4], // (11-4)/2 = 3.5 -> 4
  [9, 9, 4, 4], // 2.5 -> 2
  [13, 12, 4, 5], // 4.5 -> 4, 3.5 -> 4
  [5, 5, 8, 8], // padded on every side
  [5, 5, 8, 3], // padded in x, cropped in y
  [4, 7, 9, 2],
  [1, 1, 3, 3],
  [6, 1, 6, 1], // same size
  [256, 341, 224, 224],
];

Deno.test("centerCrop matches torchvision F.center_crop (round half to even, zero padding)", async () => {
  const golden = await Golden.create();
  try {
    const jobs: GoldenJob[] = [];
    const imgs = CASES.map(([w, h], i) => noise(w, h, i));
    for (const [i, [, , cw, ch]] of CASES.entries()) {
      jobs.push({
        op: "center_crop",
        input: await golden.rawInput(`cc${i}`, imgs[i]),
        size: [ch, cw],
        out: golden.path(`cc${i}.out`),
      });
    }
    await golden.run(jobs);
    for (const [i, [w, h, cw, ch]] of CASES.entries()) {
      const out = centerCrop(imgs[i], cw, ch);
      const name = `${w}x${h} -> ${cw}x${ch}`;
      assert.deepEqual([out.width, out.height], [cw, ch], name);
      assert.deepEqual(out.data, await Deno.readFile(golden.path(`cc${i}.out`)), name);
    }
  } finally {
    await golden.close();
  }
});

Deno.test("centerCrop pads with the fill colour", () => {
  const out = centerCrop(makeImage(1, 1, 3, new Uint8Array([1, 2, 3])), 3, 1, [7, 8, 9]);
  assert.deepEqual([...out.data], [7, 8, 9, 1, 2, 3, 7, 8, 9]);
});
