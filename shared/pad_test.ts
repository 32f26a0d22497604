import assert from "node:assert/strict";
import { Golden, type GoldenJob } from "../scripts/golden_preprocess.ts";
import { type Image, makeImage } from "./image.ts";
import { pad, type Padding } from "./pad.ts";
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

const CASES: [string, Image, Padding, number | [number, number, number]][] = [
  ["all sides, black", noise(5, 4, 1), [1, 2, 3, 4], 0],
  ["left only, coloured", noise(3, 3, 2), [2, 0, 0, 0], [10, 200, 30]],
  ["none", noise(2, 2, 3), [0, 0, 0, 0], 0],
  ["1x1 grown to 6x5", noise(1, 1, 4), [2, 1, 3, 3], [255, 255, 255]],
];

Deno.test("pad matches torchvision F.pad with constant fill", async () => {
  const golden = await Golden.create();
  try {
    const jobs: GoldenJob[] = [];
    for (const [i, [, img, padding, fill]] of CASES.entries()) {
      jobs.push({
        op: "pad",
        input: await golden.rawInput(`p${i}`, img),
        padding,
        fill,
        out: golden.path(`p${i}.out`),
      });
    }
    const meta = await golden.run(jobs);
    for (const [i, [name, img, padding, fill]] of CASES.entries()) {
      const out = pad(img, padding, fill);
      const m = meta[i] as { width: number; height: number };
      assert.deepEqual([out.width, out.height], [m.width, m.height], name);
      assert.deepEqual(out.data, await Deno.readFile(golden.path(`p${i}.out`)), name);
    }
  } finally {
    await golden.close();
  }
});

Deno.test("pad rejects negative or fractional padding", () => {
  for (const p of [[-1, 0, 0, 0], [0, 0.5, 0, 0]] as const) {
    assert.throws(() => pad(noise(2, 2, 5), p), RangeError);
  }
});
