import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import {
  diffImages,
  type GoldenCase,
  type GoldenResults,
  must,
  runGolden,
} from "./golden_harness_test.ts";
import { randomResizedCrop, randomResizedCropBox } from "./random_resized_crop.ts";
import { resizedCrop } from "./resized_crop.ts";

type Pair = [number, number];
const DEFAULT_SCALE: Pair = [0.08, 1];
const DEFAULT_RATIO: Pair = [3 / 4, 4 / 3];

// Image sizes and ratio ranges whose centre-crop fallback torchvision computes for us below.
const GEOMETRY: { w: number; h: number; ratio: Pair }[] = [
  { w: 10, h: 100, ratio: DEFAULT_RATIO }, // too tall: full width, height from the min ratio
  { w: 100, h: 10, ratio: DEFAULT_RATIO }, // too wide: full height, width from the max ratio
  { w: 50, h: 40, ratio: DEFAULT_RATIO }, // ratio in range: whole image
  { w: 30, h: 21, ratio: [1, 1] },
  { w: 128, h: 85, ratio: [0.5, 0.6] },
  { w: 7, h: 5, ratio: [2.5, 3] },
];
const blank = (g: { w: number; h: number }) => `blank_${g.w}x${g.h}`;

// A scale of 10x the image area never fits, so get_params must fall back whatever its seed.
const FALLBACK_CASES: GoldenCase[] = GEOMETRY.map((g, i) => ({
  id: `fallback_${i}`,
  image: blank(g),
  steps: [{ op: "rrc_params", args: { scale: [10, 11], ratio: g.ratio } }],
}));

// `dims` are the script's image sizes (checked against the returned inputs below).
const PIPELINE: { image: string; dims: Pair; size: number; seeds: number[] }[] = [
  { image: "astronaut", dims: [128, 128], size: 64, seeds: [0, 1, 2, 3] },
  { image: "coffee", dims: [128, 85], size: 48, seeds: [4, 5, 6] },
  { image: "chelsea", dims: [112, 84], size: 100, seeds: [7, 8] }, // upscaling crops
];
const PIPELINE_CASES: GoldenCase[] = PIPELINE.flatMap(({ image, dims, size, seeds }) =>
  seeds.map((seed) => {
    const [w, h] = dims;
    const box = randomResizedCropBox(w, h, DEFAULT_SCALE, DEFAULT_RATIO, new Rng(seed));
    return {
      id: `${image}_${seed}`,
      image,
      steps: [{
        op: "resized_crop",
        args: {
          top: box.top,
          left: box.left,
          height: box.height,
          width: box.width,
          out_height: size,
          out_width: size,
        },
      }],
    };
  })
);

let cached: Promise<GoldenResults> | undefined;
const golden = () => (cached ??= runGolden([...FALLBACK_CASES, ...PIPELINE_CASES]));

Deno.test("randomResizedCrop output equals torchvision resized_crop of the drawn box", async (t) => {
  const g = await golden();
  for (const { image, dims, size, seeds } of PIPELINE) {
    for (const seed of seeds) {
      await t.step(`${image} seed=${seed} size=${size}`, () => {
        const input = must(g.inputs, image);
        assert.deepEqual([input.width, input.height], dims);
        const got = randomResizedCrop(size)(input, new Rng(seed));
        assert.deepEqual(diffImages(got, must(g.outputs, `${image}_${seed}`)), {
          max: 0,
          fraction: 0,
        });
      });
    }
  }
});

Deno.test("randomResizedCropBox falls back to torchvision's centre crop", async () => {
  const g = await golden();
  for (const [i, geo] of GEOMETRY.entries()) {
    const [left, top, width, height] = must(g.values, `fallback_${i}`);
    const got = randomResizedCropBox(geo.w, geo.h, [10, 11], geo.ratio, new Rng(i));
    assert.deepEqual(got, { left, top, width, height }, JSON.stringify(geo));
  }
});

Deno.test("randomResizedCropBox boxes stay inside with area and ratio within bounds", () => {
  // w = round(sqrt(A r)), h = round(sqrt(A / r)) for A in scale * area and r in ratio, so
  // sqrt(A r) is within 0.5 of w: A lies in [(w-.5)(h-.5), (w+.5)(h+.5)] and r in
  // [(w-.5)/(h+.5), (w+.5)/(h-.5)]. Boxes failing that must be the centre-crop fallback.
  const configs: { w: number; h: number; scale: Pair; ratio: Pair }[] = [
    { w: 224, h: 224, scale: DEFAULT_SCALE, ratio: DEFAULT_RATIO },
    { w: 640, h: 480, scale: DEFAULT_SCALE, ratio: DEFAULT_RATIO },
    { w: 33, h: 300, scale: [0.2, 0.9], ratio: [0.5, 2] },
    { w: 17, h: 12, scale: [0.5, 1], ratio: [0.9, 1.1] },
  ];
  for (const cfg of configs) {
    const area = cfg.w * cfg.h;
    const fallback = randomResizedCropBox(cfg.w, cfg.h, [1e9, 1e9], cfg.ratio, new Rng(0));
    let fallbacks = 0;
    for (let seed = 0; seed < 3000; seed++) {
      const b = randomResizedCropBox(cfg.w, cfg.h, cfg.scale, cfg.ratio, new Rng(seed));
      const where = `${JSON.stringify(cfg)} seed ${seed}: ${JSON.stringify(b)}`;
      assert.ok(b.left >= 0 && b.top >= 0 && b.width >= 1 && b.height >= 1, where);
      assert.ok(b.left + b.width <= cfg.w && b.top + b.height <= cfg.h, where);
      for (const v of Object.values(b)) assert.ok(Number.isInteger(v), where);
      const { width: w, height: h } = b;
      const inBounds = (w - 0.5) * (h - 0.5) <= cfg.scale[1] * area &&
        (w + 0.5) * (h + 0.5) >= cfg.scale[0] * area &&
        (w - 0.5) / (h + 0.5) <= cfg.ratio[1] &&
        (w + 0.5) / (h - 0.5) >= cfg.ratio[0];
      if (!inBounds) {
        assert.deepEqual(b, fallback, where);
        fallbacks++;
      }
    }
    // every config above fits easily, so the fallback must stay rare
    assert.ok(fallbacks <= 30, `${fallbacks} fallbacks for ${JSON.stringify(cfg)}`);
  }
});

Deno.test("randomResizedCropBox draws the aspect ratio log-uniformly and the area uniformly", () => {
  // In a 1000x1000 image tiny crops always fit. Log-uniform over [3/4, 4/3] puts half the
  // ratios below 1; uniform over the ratio itself would put (1 - 3/4) / (4/3 - 3/4) = 43% there.
  const n = 10000;
  let below = 0;
  let above = 0;
  let areaSum = 0;
  for (let seed = 0; seed < n; seed++) {
    const b = randomResizedCropBox(1000, 1000, [0.01, 0.02], DEFAULT_RATIO, new Rng(seed));
    if (b.width < b.height) below++;
    if (b.width > b.height) above++;
    areaSum += (b.width * b.height) / 1e6;
  }
  const m = below + above;
  const freq = below / m;
  assert.ok(Math.abs(freq - 0.5) <= 6 * Math.sqrt(0.25 / m), `ratio < 1 in ${freq} of crops`);
  // mean of U(0.01, 0.02) is 0.015 with sd 0.0029 / sqrt(n) = 0.00003; rounding w, h adds noise
  const meanArea = areaSum / n;
  assert.ok(Math.abs(meanArea - 0.015) <= 0.0005, `mean area fraction ${meanArea}`);
});

Deno.test("randomResizedCrop is reproducible per seed and validates its options", () => {
  const img = {
    width: 40,
    height: 30,
    channels: 3 as const,
    data: new Uint8Array(3600).map((_, i) => i * 7),
  };
  const t = randomResizedCrop({ width: 16, height: 12 });
  for (let seed = 0; seed < 10; seed++) {
    const out = t(img, new Rng(seed));
    assert.equal(out.width, 16);
    assert.equal(out.height, 12);
    const box = randomResizedCropBox(40, 30, DEFAULT_SCALE, DEFAULT_RATIO, new Rng(seed));
    assert.deepEqual(out.data, resizedCrop(img, box, 16, 12).data);
    assert.deepEqual(t(img, new Rng(seed)).data, out.data);
  }
  assert.throws(() => randomResizedCrop(0), RangeError);
  assert.throws(() => randomResizedCrop(10.5), RangeError);
  assert.throws(() => randomResizedCrop(10, { scale: [0.5, 0.1] }), RangeError);
  assert.throws(() => randomResizedCrop(10, { ratio: [0, 1] }), RangeError);
  assert.throws(() => randomResizedCrop(10, { ratio: [2, 1] }), RangeError);
});
