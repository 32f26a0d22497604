import assert from "node:assert/strict";
import { Golden, type GoldenJob } from "../scripts/golden_preprocess.ts";
import { type Image, makeImage } from "./image.ts";
import { IMAGENET_MEAN, IMAGENET_STD, type PreprocessConfig } from "./preprocess_config.ts";
import { Rng } from "./rng.ts";
import { toTensor } from "./to_tensor.ts";

// Every byte value appears, so each table entry is compared.
function allLevels(width: number, height: number, seed: number): Image {
  const rng = new Rng(seed);
  const data = Uint8Array.from(
    { length: width * height * 3 },
    (_, i) => (i < 768 ? i % 256 : rng.int(0, 255)),
  );
  return makeImage(width, height, 3, data);
}

const CASES: {
  name: string;
  mean: [number, number, number];
  std: [number, number, number];
  layout: "CHW" | "HWC";
}[] = [
  { name: "ImageNet CHW", mean: IMAGENET_MEAN, std: IMAGENET_STD, layout: "CHW" },
  { name: "ImageNet HWC", mean: IMAGENET_MEAN, std: IMAGENET_STD, layout: "HWC" },
  { name: "0.5/0.5", mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], layout: "CHW" },
  { name: "identity", mean: [0, 0, 0], std: [1, 1, 1], layout: "CHW" },
  { name: "odd values", mean: [0.1234567, -0.3, 1.7], std: [0.0137, 3.3, 0.999], layout: "HWC" },
];

Deno.test("toTensor equals torchvision Normalize(ToTensor(img)) bit for bit", async () => {
  const golden = await Golden.create();
  try {
    const img = allLevels(37, 23, 1);
    const input = await golden.rawInput("img", img);
    const jobs: GoldenJob[] = CASES.map((c, i) => {
      const config: PreprocessConfig = {
        version: 1,
        resize: { mode: "none", size: 1, filter: "bilinear" },
        crop: null,
        mean: c.mean,
        std: c.std,
        layout: c.layout,
        background: [0, 0, 0],
      };
      return { op: "preprocess", input, config, out: golden.path(`t${i}.f32`) };
    });
    const meta = await golden.run(jobs);
    for (const [i, c] of CASES.entries()) {
      const ours = toTensor(img, c);
      const want = new Float32Array((await Deno.readFile(golden.path(`t${i}.f32`))).buffer);
      const shape = c.layout === "CHW" ? [3, 23, 37] : [23, 37, 3];
      assert.deepEqual((meta[i] as { shape: number[] }).shape, shape, c.name);
      assert.deepEqual(ours, want, c.name);
    }
  } finally {
    await golden.close();
  }
});

Deno.test("toTensor lays out CHW planes and HWC pixels", () => {
  const img = makeImage(2, 1, 3, new Uint8Array([0, 51, 255, 255, 102, 0]));
  const opts = { mean: [0, 0, 0], std: [1, 1, 1] };
  // [C, H, W]: R plane, G plane, B plane
  const chw = [0, 1, 0.2, 0.4, 1, 0].map(Math.fround);
  assert.deepEqual([...toTensor(img, { ...opts, layout: "CHW" })], chw);
  assert.deepEqual(
    [...toTensor(img, { ...opts, layout: "HWC" })],
    [0, 0.2, 1, 1, 0.4, 0].map(Math.fround),
  );
});

Deno.test("toTensor rejects mismatched or invalid statistics", () => {
  const img = allLevels(2, 2, 2);
  const bad = [
    { mean: [0, 0], std: [1, 1, 1] },
    { mean: [0, 0, 0], std: [1, 0, 1] },
    { mean: [0, NaN, 0], std: [1, 1, 1] },
  ];
  for (const opts of bad) {
    assert.throws(() => toTensor(img, opts), RangeError, JSON.stringify(opts));
  }
});
