import assert from "node:assert/strict";
import { makeImage } from "../image.ts";
import { diffImages, type GoldenCase, must, runGolden } from "./golden_harness_test.ts";
import { rgbToGrayscale } from "./rgb_to_grayscale.ts";

const IMAGES = ["astronaut", "chelsea", "noise_7x5", "colors_40x25", "colors_dense"];
const CASES: GoldenCase[] = IMAGES.flatMap((image) =>
  ([1, 3] as const).map((channels) => ({
    id: `${image}_${channels}`,
    image,
    steps: [{ op: "rgb_to_grayscale", args: { channels } }],
  }))
);

Deno.test("rgbToGrayscale matches torchvision rgb_to_grayscale exactly", async (t) => {
  const golden = await runGolden(CASES);
  for (const c of CASES) {
    const channels = c.steps[0].args!.channels as 1 | 3;
    await t.step(c.id, () => {
      const got = rgbToGrayscale(must(golden.inputs, c.image), channels);
      // Pillow's 16.16 fixed-point luma is integer arithmetic, so exact.
      assert.deepEqual(diffImages(got, must(golden.outputs, c.id)), { max: 0, fraction: 0 });
    });
  }
});

Deno.test("rgbToGrayscale rejects non-RGB input and bad channel counts", () => {
  assert.throws(() => rgbToGrayscale(makeImage(1, 1, 1)), RangeError);
  assert.throws(() => rgbToGrayscale(makeImage(1, 1, 3), 2 as 1), RangeError);
});
