import assert from "node:assert/strict";
import { makeImage } from "../image.ts";
import { adjustSaturation } from "./adjust_saturation.ts";
import { diffImages, type GoldenCase, must, runGolden } from "./golden_harness_test.ts";

const IMAGES = ["astronaut", "coffee", "noise_7x5", "colors_40x25", "levels_16x16"];
const FACTORS = [0, 0.3, 0.5, 0.53, 0.99, 1, 1.01, 1.6, 2.5];
const CASES: GoldenCase[] = IMAGES.flatMap((image) =>
  FACTORS.map((factor, i) => ({
    id: `${image}_${i}`,
    image,
    steps: [{ op: "adjust_saturation", args: { factor } }],
  }))
);

Deno.test("adjustSaturation matches torchvision adjust_saturation exactly", async (t) => {
  const golden = await runGolden(CASES);
  for (const c of CASES) {
    const factor = c.steps[0].args!.factor as number;
    await t.step(`${c.id} factor=${factor}`, () => {
      const got = adjustSaturation(must(golden.inputs, c.image), factor);
      // Pillow's fixed-point luma and float32 blend, ported step by step, so exact.
      assert.deepEqual(diffImages(got, must(golden.outputs, c.id)), { max: 0, fraction: 0 });
    });
  }
});

Deno.test("adjustSaturation leaves grays alone and rejects bad input", () => {
  const gray = makeImage(2, 1, 3, new Uint8Array([7, 7, 7, 200, 200, 200]));
  for (const f of [0, 0.5, 3]) assert.deepEqual(adjustSaturation(gray, f).data, gray.data);
  assert.throws(() => adjustSaturation(gray, -0.5), RangeError);
  assert.throws(() => adjustSaturation(makeImage(1, 1, 1), 1), RangeError);
});
