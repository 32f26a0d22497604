import assert from "node:assert/strict";
import { makeImage } from "../image.ts";
import { diffImages, type GoldenCase, must, runGolden } from "./golden_harness_test.ts";
import { vflip } from "./vflip.ts";

const CASES: GoldenCase[] = [
  "astronaut",
  "coffee",
  "noise_7x5",
  "noise_1x1",
  "noise_2x3",
  "astronaut_l",
]
  .map((image) => ({ id: image, image, steps: [{ op: "vflip" }] }));

Deno.test("vflip matches torchvision vflip exactly", async (t) => {
  const golden = await runGolden(CASES);
  for (const c of CASES) {
    await t.step(c.id, () => {
      const input = must(golden.inputs, c.image);
      const before = input.data.slice();
      const got = vflip(input);
      assert.deepEqual(diffImages(got, must(golden.outputs, c.id)), { max: 0, fraction: 0 });
      assert.deepEqual(input.data, before, "input untouched");
      assert.deepEqual(vflip(got).data, input.data, "vflip is its own inverse");
    });
  }
});

Deno.test("vflip reverses the rows of a 1x3 gray image", () => {
  const img = makeImage(1, 3, 1, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...vflip(img).data], [3, 2, 1]);
});
