import assert from "node:assert/strict";
import { Golden, type GoldenJob } from "../scripts/golden_preprocess.ts";
import { crop } from "./crop.ts";
import { type Image, makeImage } from "./image.ts";
import { Rng } from "./rng.ts";

function noise(width: number, height: number, channels: 1 | 3, seed: number): Image {
  const rng = new Rng(seed);
  return makeImage(
    width,
    height,
    channels,
    Uint8Array.from({ length: width * height * channels }, () => rng.int(1, 255)),
  );
}

// [name, image, left, top, width, height]
const CASES: [string, Image, number, number, number, number][] = [
  ["inside", noise(20, 10, 3, 1), 3, 2, 5, 4],
  ["whole image", noise(7, 5, 3, 2), 0, 0, 7, 5],
  ["reaching past the right and bottom", noise(8, 6, 3, 3), 5, 4, 6, 5],
  ["starting left of and above the image", noise(8, 6, 3, 4), -2, -3, 5, 5],
  ["larger than the image on all sides", noise(4, 3, 3, 5), -2, -1, 9, 6],
  ["entirely outside", noise(4, 3, 3, 6), 10, 10, 2, 2],
  ["1x1 of a gray image", noise(5, 5, 1, 7), 2, 2, 1, 1],
];

Deno.test("crop matches PIL.Image.crop, zeros outside the image", async () => {
  const golden = await Golden.create();
  try {
    const jobs: GoldenJob[] = [];
    for (const [i, [, img, l, t, w, h]] of CASES.entries()) {
      jobs.push({
        op: "crop",
        input: await golden.rawInput(`c${i}`, img),
        box: [l, t, l + w, t + h],
        out: golden.path(`c${i}.out`),
      });
    }
    await golden.run(jobs);
    for (const [i, [name, img, l, t, w, h]] of CASES.entries()) {
      const out = crop(img, l, t, w, h);
      assert.deepEqual([out.width, out.height, out.channels], [w, h, img.channels], name);
      assert.deepEqual(out.data, await Deno.readFile(golden.path(`c${i}.out`)), name);
    }
  } finally {
    await golden.close();
  }
});

Deno.test("crop fills outside pixels with the given colour", () => {
  const img = makeImage(1, 1, 3, new Uint8Array([1, 2, 3]));
  const out = crop(img, -1, 0, 2, 1, [9, 8, 7]);
  assert.deepEqual([...out.data], [9, 8, 7, 1, 2, 3]);
});

Deno.test("crop rejects non-integer and empty windows", () => {
  const img = noise(4, 4, 3, 8);
  for (const [l, t, w, h] of [[0.5, 0, 2, 2], [0, 0, 0, 2], [0, 0, 2, -1]]) {
    assert.throws(() => crop(img, l, t, w, h), RangeError, `${l},${t},${w},${h}`);
  }
  assert.throws(() => crop(img, 0, 0, 2, 2, [1, 2]), RangeError);
});
