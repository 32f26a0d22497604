import assert from "node:assert/strict";
import { makeImage } from "../image.ts";
import { adjustHue } from "./adjust_hue.ts";
import { diffImages, type GoldenCase, must, runGolden } from "./golden_harness_test.ts";

const FACTORS = [-0.5, -0.37, -0.1, -0.001, 0, 0.002, 0.05, 0.25, 0.4999, 0.5];
const CASES: GoldenCase[] = [
  ...["astronaut", "coffee", "noise_7x5", "colors_40x25"].flatMap((image) =>
    FACTORS.map((factor, i) => ({
      id: `${image}_${i}`,
      image,
      steps: [{ op: "adjust_hue", args: { factor } }],
    }))
  ),
  // 274k colours of the RGB cube through the HSV round trip, at two shifts.
  ...[-0.23, 0.31].map((factor, i) => ({
    id: `dense_${i}`,
    image: "colors_dense",
    steps: [{ op: "adjust_hue", args: { factor } }],
  })),
];

Deno.test("adjustHue matches torchvision adjust_hue exactly", async (t) => {
  const golden = await runGolden(CASES);
  for (const c of CASES) {
    const factor = c.steps[0].args!.factor as number;
    await t.step(`${c.id} factor=${factor}`, () => {
      const got = adjustHue(must(golden.inputs, c.image), factor);
      // The HSV conversions keep Pillow's float32/double steps, so the round trip is exact.
      assert.deepEqual(diffImages(got, must(golden.outputs, c.id)), { max: 0, fraction: 0 });
    });
  }
});

Deno.test("adjustHue rejects factors outside [-0.5, 0.5] and non-RGB images", () => {
  const img = makeImage(1, 1, 3, new Uint8Array([255, 0, 0]));
  for (const bad of [-0.51, 0.5001, Number.NaN]) {
    assert.throws(() => adjustHue(img, bad), RangeError);
  }
  assert.throws(() => adjustHue(makeImage(1, 1, 1), 0.1), RangeError);
});
