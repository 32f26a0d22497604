/**
 * Property tests of `applyPreprocess` over random valid configs and random small images: the
 * tensor has the size torchvision's rules give, every value is finite and is one of the 256
 * values `(v / 255 - mean) / std` can take in float32, HWC is the transpose of CHW, and a
 * constant image gives a constant tensor. Replay a failure with FC_SEED=<seed>.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { applyPreprocess } from "./apply_preprocess.ts";
import { type Image, makeImage } from "./image.ts";
import { parsePreprocessConfig, type PreprocessConfig } from "./preprocess_config.ts";

const FC = { seed: Number(Deno.env.get("FC_SEED") ?? 20240611), numRuns: 150 };

const triple = (arb: fc.Arbitrary<number>) => fc.tuple(arb, arb, arb);
const configArb: fc.Arbitrary<PreprocessConfig> = fc.record({
  version: fc.constant(1 as const),
  resize: fc.record({
    mode: fc.constantFrom("shorter_side" as const, "exact" as const, "none" as const),
    size: fc.integer({ min: 1, max: 40 }),
    filter: fc.constantFrom("nearest" as const, "bilinear" as const, "bicubic" as const),
  }),
  crop: fc.option(
    fc.record({ width: fc.integer({ min: 1, max: 40 }), height: fc.integer({ min: 1, max: 40 }) }),
    { nil: null },
  ),
  mean: triple(fc.double({ min: -3, max: 3, noNaN: true })),
  std: triple(fc.double({ min: 1e-3, max: 10, noNaN: true })),
  layout: fc.constantFrom("CHW" as const, "HWC" as const),
  background: triple(fc.integer({ min: 0, max: 255 })),
});

const imageArb: fc.Arbitrary<Image> = fc
  .record({ w: fc.integer({ min: 1, max: 24 }), h: fc.integer({ min: 1, max: 24 }) })
  .chain(({ w, h }) =>
    fc.uint8Array({ minLength: w * h * 3, maxLength: w * h * 3 }).map((data) =>
      makeImage(w, h, 3, data)
    )
  );

/** [height, width] of the tensor, from torchvision's Resize/CenterCrop rules. */
function expectedSize(config: PreprocessConfig, img: Image): [number, number] {
  if (config.crop) return [config.crop.height, config.crop.width];
  const { mode, size } = config.resize;
  if (mode === "exact") return [size, size];
  if (mode === "none") return [img.height, img.width];
  // Resize(int): the shorter side becomes size, the longer int(size * long / short).
  const { width: w, height: h } = img;
  return w <= h ? [Math.floor((size * h) / w), size] : [size, Math.floor((size * w) / h)];
}

/** The 256 float32 values channel `c` can take: (v / 255 - mean) / std, each step in float32. */
function channelValues(config: PreprocessConfig, c: number): Float32Array {
  const f = Math.fround;
  return Float32Array.from(
    { length: 256 },
    (_, v) => f(f(f(v / 255) - f(config.mean[c])) / f(config.std[c])),
  );
}

Deno.test("applyPreprocess gives the torchvision size, finite values from the normalised byte range, HWC = CHW transposed", () => {
  fc.assert(
    fc.property(configArb, imageArb, (config, img) => {
      parsePreprocessConfig(config); // the generator only makes valid configs
      const [h, w] = expectedSize(config, img);
      const out = applyPreprocess(config, img);
      assert.equal(out.length, 3 * h * w);
      const values = [0, 1, 2].map((c) => new Set(channelValues(config, c)));
      const chw = config.layout === "CHW"
        ? out
        : applyPreprocess({ ...config, layout: "CHW" }, img); // [3, H, W]
      const hwc = config.layout === "HWC"
        ? out
        : applyPreprocess({ ...config, layout: "HWC" }, img); // [H, W, 3]
      for (let c = 0; c < 3; c++) {
        for (let i = 0; i < h * w; i++) {
          const v = chw[c * h * w + i];
          assert.ok(Number.isFinite(v), `finite at c=${c} i=${i}`);
          assert.ok(values[c].has(v), `value ${v} at c=${c} i=${i} is not a normalised byte`);
          assert.ok(Object.is(hwc[i * 3 + c], v), `HWC at c=${c} i=${i}`);
        }
      }
    }),
    FC,
  );
});

Deno.test("applyPreprocess maps a constant image (padded with the same colour) to a constant tensor", () => {
  const constantCase = fc.record({
    config: configArb,
    w: fc.integer({ min: 1, max: 24 }),
    h: fc.integer({ min: 1, max: 24 }),
    rgb: triple(fc.integer({ min: 0, max: 255 })),
  });
  fc.assert(
    fc.property(constantCase, ({ config, w, h, rgb }) => {
      const data = new Uint8Array(w * h * 3);
      for (let i = 0; i < w * h; i++) data.set(rgb, i * 3);
      const img = makeImage(w, h, 3, data);
      const cfg = { ...config, layout: "CHW" as const, background: rgb };
      const [oh, ow] = expectedSize(cfg, img);
      const out = applyPreprocess(cfg, img); // [3, H, W]
      for (let c = 0; c < 3; c++) {
        const want = channelValues(cfg, c)[rgb[c]];
        for (let i = 0; i < oh * ow; i++) assert.equal(out[c * oh * ow + i], want, `c=${c} i=${i}`);
      }
    }),
    FC,
  );
});
