import assert from "node:assert/strict";
import { makeImage } from "../image.ts";
import { adjustContrast } from "./adjust_contrast.ts";
import { diffImages, type GoldenCase, must, runGolden } from "./golden_harness_test.ts";

// flat_9x6 has a mean that is not a whole level; noise_1x1 makes the mean the pixel's own luma.
const IMAGES = [
  "astronaut",
  "chelsea",
  "noise_7x5",
  "noise_1x1",
  "flat_9x6",
  "colors_40x25",
  "levels_16x16",
];
const FACTORS = [0, 0.2, 0.5, 0.77, 1, 1.3, 2, 4];
const CASES: GoldenCase[] = IMAGES.flatMap((image) =>
  FACTORS.map((factor, i) => ({
    id: `${image}_${i}`,
    image,
    steps: [{ op: "adjust_contrast", args: { factor } }],
  }))
);

Deno.test("adjustContrast matches torchvision adjust_contrast exactly", async (t) => {
  const golden = await runGolden(CASES);
  for (const c of CASES) {
    const factor = c.steps[0].args!.factor as number;
    await t.step(`${c.id} factor=${factor}`, () => {
      const got = adjustContrast(must(golden.inputs, c.image), factor);
      // Same grayscale mean (int(mean + 0.5)) and float32 blend as Pillow, so exact.
      assert.deepEqual(diffImages(got, must(golden.outputs, c.id)), { max: 0, fraction: 0 });
    });
  }
});

Deno.test("adjustContrast with factor 0 gives the rounded mean luma everywhere", () => {
  // lumas 0 and 255 -> mean 127.5 -> int(128.0) = 128
  const img = makeImage(2, 1, 3, new Uint8Array([0, 0, 0, 255, 255, 255]));
  assert.deepEqual([...adjustContrast(img, 0).data], [128, 128, 128, 128, 128, 128]);
  assert.throws(() => adjustContrast(img, -1), RangeError);
  assert.throws(() => adjustContrast(makeImage(1, 1, 4), 1), RangeError);
});
