import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { gaussianBlur } from "./gaussian_blur.ts";
import { gaussianBlurFixed } from "./gaussian_blur_fixed.ts";
import { noiseImage, stateAfter } from "./random_test_util_test.ts";

const IMG = noiseImage(12, 10, 4);

Deno.test("gaussianBlur blurs with one sigma drawn uniformly from [min, max]", () => {
  const table = [
    { kernel: 5, sigma: [0.1, 2.0] as [number, number] },
    { kernel: [3, 7] as [number, number], sigma: [0.5, 0.9] as [number, number] },
    { kernel: 3, sigma: 1.5 },
  ];
  for (const { kernel, sigma } of table) {
    const [lo, hi] = typeof sigma === "number" ? [sigma, sigma] : sigma;
    const t = gaussianBlur(kernel, sigma);
    for (let seed = 0; seed < 10; seed++) {
      const rng = new Rng(seed);
      const out = t(IMG, rng);
      assert.deepEqual(rng.state(), stateAfter(seed, 1), "one draw per call");
      const s = lo + (hi - lo) * new Rng(seed).next();
      assert.deepEqual(out.data, gaussianBlurFixed(IMG, kernel, s).data);
      assert.deepEqual(t(IMG, new Rng(seed)).data, out.data, "same seed, same output");
    }
  }
});

Deno.test("gaussianBlur rejects bad kernel sizes and sigma ranges up front", () => {
  assert.throws(() => gaussianBlur(4), RangeError);
  assert.throws(() => gaussianBlur([3, 2]), RangeError);
  assert.throws(() => gaussianBlur(3, [0, 1]), RangeError);
  assert.throws(() => gaussianBlur(3, [2, 1]), RangeError);
  assert.throws(() => gaussianBlur(3, -1), RangeError);
});
