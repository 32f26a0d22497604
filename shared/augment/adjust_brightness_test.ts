import assert from "node:assert/strict";
import { makeImage } from "../image.ts";
import { adjustBrightness } from "./adjust_brightness.ts";
import { diffImages, type GoldenCase, must, runGolden } from "./golden_harness_test.ts";

const IMAGES = ["astronaut", "coffee", "noise_7x5", "colors_40x25", "levels_16x16"];
// Pillow multiplies by float32(factor): 0.53 * 100 gives 52.999996 and truncates to 52, 0.65 * 180
// to 116 (levels_16x16 holds every level), where double arithmetic gives 53 and 117.
const FACTORS = [0, 0.25, 0.5, 0.53, 0.65, 0.8999, 1, 1.1, 1.5, 2, 3.7];
const CASES: GoldenCase[] = IMAGES.flatMap((image) =>
  FACTORS.map((factor, i) => ({
    id: `${image}_${i}`,
    image,
    steps: [{ op: "adjust_brightness", args: { factor } }],
  }))
);

Deno.test("adjustBrightness matches torchvision adjust_brightness exactly", async (t) => {
  const golden = await runGolden(CASES);
  for (const c of CASES) {
    const factor = c.steps[0].args!.factor as number;
    await t.step(`${c.id} factor=${factor}`, () => {
      const got = adjustBrightness(must(golden.inputs, c.image), factor);
      // Pillow's blend is float32 arithmetic then truncation; ported step by step, so exact.
      assert.deepEqual(diffImages(got, must(golden.outputs, c.id)), { max: 0, fraction: 0 });
    });
  }
});

Deno.test("adjustBrightness rejects bad input and never mutates", () => {
  const img = makeImage(2, 1, 3, new Uint8Array([10, 20, 30, 40, 50, 60]));
  const before = img.data.slice();
  const out = adjustBrightness(img, 1);
  assert.notEqual(out.data, img.data);
  assert.deepEqual(img.data, before);
  for (const bad of [-0.1, Number.NaN, Infinity]) {
    assert.throws(() => adjustBrightness(img, bad), RangeError);
  }
  assert.throws(() => adjustBrightness(makeImage(1, 1, 1), 1), RangeError);
});
