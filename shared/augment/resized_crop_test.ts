import assert from "node:assert/strict";
import { makeImage } from "../image.ts";
import { diffImages, type GoldenCase, must, runGolden } from "./golden_harness_test.ts";
import { type CropBox, resizedCrop } from "./resized_crop.ts";

interface Row {
  image: string;
  box: CropBox;
  out: [number, number]; // [width, height]
}

const ROWS: Row[] = [
  { image: "astronaut", box: { left: 10, top: 20, width: 64, height: 50 }, out: [32, 32] },
  { image: "astronaut", box: { left: 0, top: 0, width: 128, height: 128 }, out: [224, 224] },
  { image: "astronaut", box: { left: 100, top: 3, width: 10, height: 8 }, out: [40, 30] },
  { image: "astronaut", box: { left: 5, top: 6, width: 20, height: 30 }, out: [20, 30] }, // pure crop
  { image: "coffee", box: { left: 0, top: 0, width: 128, height: 85 }, out: [64, 43] },
  { image: "coffee", box: { left: 37, top: 11, width: 51, height: 70 }, out: [17, 96] },
  { image: "chelsea", box: { left: 1, top: 2, width: 99, height: 77 }, out: [50, 50] },
  { image: "noise_7x5", box: { left: 1, top: 1, width: 5, height: 3 }, out: [3, 2] },
  { image: "noise_7x5", box: { left: 6, top: 4, width: 1, height: 1 }, out: [5, 5] },
  // boxes reaching outside the image: PIL's crop pads with black before resizing
  { image: "coffee", box: { left: -20, top: 70, width: 60, height: 40 }, out: [30, 20] },
  { image: "noise_7x5", box: { left: -2, top: -3, width: 12, height: 11 }, out: [6, 6] },
];
const CASES: GoldenCase[] = ROWS.map((r, i) => ({
  id: `${r.image}_${i}`,
  image: r.image,
  steps: [{
    op: "resized_crop",
    args: {
      top: r.box.top,
      left: r.box.left,
      height: r.box.height,
      width: r.box.width,
      out_height: r.out[1],
      out_width: r.out[0],
    },
  }],
}));

Deno.test("resizedCrop matches torchvision resized_crop (BILINEAR) exactly", async (t) => {
  const golden = await runGolden(CASES);
  for (const [i, c] of CASES.entries()) {
    const { box, out } = ROWS[i];
    await t.step(`${c.id} ${JSON.stringify(box)} -> ${out.join("x")}`, () => {
      const got = resizedCrop(must(golden.inputs, c.image), box, out[0], out[1], "bilinear");
      // crop is a copy and shared/resize.ts ports Pillow's fixed-point resampling, so exact.
      assert.deepEqual(diffImages(got, must(golden.outputs, c.id)), { max: 0, fraction: 0 });
    });
  }
});

Deno.test("resizedCrop rejects empty or fractional boxes and output sizes", () => {
  const img = makeImage(6, 4, 3);
  const bad: CropBox[] = [
    { left: 0, top: 0, width: 0, height: 2 },
    { left: 0, top: 0, width: 2, height: -1 },
    { left: 0.5, top: 0, width: 2, height: 2 },
    { left: 0, top: 0, width: 2.5, height: 2 },
  ];
  for (const box of bad) assert.throws(() => resizedCrop(img, box, 3, 3), RangeError);
  const box = { left: 0, top: 0, width: 6, height: 4 };
  assert.throws(() => resizedCrop(img, box, 0, 3), RangeError);
  assert.throws(() => resizedCrop(img, box, 3, 1.5), RangeError);
  assert.equal(resizedCrop(img, box, 3, 2).width, 3);
});
