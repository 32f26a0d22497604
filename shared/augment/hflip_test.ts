import assert from "node:assert/strict";
import { makeImage } from "../image.ts";
import { diffImages, type GoldenCase, must, runGolden } from "./golden_harness_test.ts";
import { hflip } from "./hflip.ts";

const CASES: GoldenCase[] = [
  "astronaut",
  "coffee",
  "noise_7x5",
  "noise_1x1",
  "noise_2x3",
  "astronaut_l",
]
  .map((image) => ({ id: image, image, steps: [{ op: "hflip" }] }));

Deno.test("hflip matches torchvision hflip exactly", async (t) => {
  const golden = await runGolden(CASES);
  for (const c of CASES) {
    await t.step(c.id, () => {
      const input = must(golden.inputs, c.image);
      const before = input.data.slice();
      const got = hflip(input);
      assert.deepEqual(diffImages(got, must(golden.outputs, c.id)), { max: 0, fraction: 0 });
      assert.deepEqual(input.data, before, "input untouched");
      assert.deepEqual(hflip(got).data, input.data, "hflip is its own inverse");
    });
  }
});

Deno.test("hflip mirrors a 3x1 4-channel row pixel by pixel", () => {
  const img = makeImage(3, 1, 4, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
  assert.deepEqual([...hflip(img).data], [9, 10, 11, 12, 5, 6, 7, 8, 1, 2, 3, 4]);
});
