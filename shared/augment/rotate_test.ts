import assert from "node:assert/strict";
import { makeImage } from "../image.ts";
import { diffImages, type GoldenCase, must, runGolden } from "./golden_harness_test.ts";
import { rotate } from "./rotate.ts";
import type { Fill } from "../crop.ts";

interface Row {
  image: string;
  angle: number;
  fill?: Fill;
}

// 0/90/180/270 on square images take Pillow's transpose shortcuts; non-square 90 does not.
const ROWS: Row[] = [
  ...[0, 15, -30, 45, 90, 180, 270, 33.3, 359.9, 730, -200, 1e-7].map((angle) => ({
    image: "astronaut",
    angle,
  })),
  ...[7.5, 90, -90, 180, 123.4].map((angle) => ({ image: "coffee", angle, fill: [10, 200, 30] })),
  ...[30, 90, 200].map((angle) => ({ image: "chelsea", angle, fill: 255 })),
  ...[12, 90, 181].map((angle) => ({ image: "noise_7x5", angle, fill: [1, 2, 3] })),
  ...[45, 90].map((angle) => ({ image: "noise_12x12", angle })),
  { image: "noise_1x1", angle: 45, fill: 77 },
  { image: "noise_2x3", angle: 30 },
  ...[25, -60].map((angle) => ({ image: "astronaut_l", angle, fill: 128 })),
  // a sweep of awkward angles on a small image, to catch rare coordinate rounding differences
  ...Array.from({ length: 40 }, (_, i) => ({ image: "gradient_16x9", angle: -179.3 + i * 8.9137 })),
];
const CASES: GoldenCase[] = ROWS.map((r, i) => ({
  id: `${r.image}_${i}`,
  image: r.image,
  steps: [{ op: "rotate", args: { angle: r.angle, fill: r.fill ?? null } }],
}));

Deno.test("rotate matches torchvision rotate(BILINEAR, fill) exactly", async (t) => {
  const golden = await runGolden(CASES);
  for (const [i, c] of CASES.entries()) {
    const { angle, fill } = ROWS[i];
    await t.step(`${c.id} angle=${angle} fill=${JSON.stringify(fill ?? 0)}`, () => {
      const got = rotate(must(golden.inputs, c.image), angle, fill);
      // Same matrix (Python round(x, 15) of cos/sin) and Geometry.c's double arithmetic with
      // truncation; V8's Math.sin/cos and glibc agree to well under the 1e-15 rounding, so exact.
      assert.deepEqual(diffImages(got, must(golden.outputs, c.id)), { max: 0, fraction: 0 });
    });
  }
});

Deno.test("rotate keeps the size, fills uncovered corners, rejects bad input", () => {
  const img = makeImage(4, 2, 3, new Uint8Array(24).fill(50));
  const out = rotate(img, 45, [1, 2, 3]);
  assert.equal(out.width, 4);
  assert.equal(out.height, 2);
  assert.deepEqual([...out.data.subarray(0, 3)], [1, 2, 3], "top-left corner maps outside");
  assert.throws(() => rotate(img, Number.NaN), RangeError);
  assert.throws(() => rotate(img, 10, [1, 2]), RangeError);
  assert.throws(() => rotate(img, 10, 256), RangeError);
  assert.throws(() => rotate(img, 10, 1.5), RangeError);
  assert.throws(() => rotate(makeImage(2, 2, 4), 10), RangeError);
});
