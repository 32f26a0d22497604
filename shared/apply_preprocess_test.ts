import assert from "node:assert/strict";
import { Golden, type GoldenJob, maxAbsDiff, SKIMAGE_DATA } from "../scripts/golden_preprocess.ts";
import { applyPreprocess } from "./apply_preprocess.ts";
import { decodeImage } from "./decode.ts";
import {
  defaultPreprocessConfig,
  IMAGENET_MEAN,
  IMAGENET_STD,
  type PreprocessConfig,
  preprocessOutputSize,
} from "./preprocess_config.ts";

const imagenet = (size: number, crop: number, filter: "bilinear" | "bicubic") =>
  defaultPreprocessConfig(crop, {
    resize: { mode: "shorter_side", size, filter },
    crop: { width: crop, height: crop },
    mean: IMAGENET_MEAN,
    std: IMAGENET_STD,
  });

interface Case {
  name: string;
  /** The `make` job that writes the input file (from a skimage photo). */
  make: Record<string, unknown>;
  config: PreprocessConfig;
  /** Allowed difference in pixel levels (times 1/255/std); 0 means bit-exact. */
  levels: number;
}

const CASES: Case[] = [
  {
    name: "chelsea PNG, exact 224 bilinear",
    make: { input: "chelsea.png", format: "PNG" },
    config: defaultPreprocessConfig(224),
    levels: 0,
  },
  {
    name: "coffee PNG, ImageNet eval (256 bicubic, crop 224)",
    make: { input: "coffee.png", format: "PNG" },
    config: imagenet(256, 224, "bicubic"),
    levels: 0,
  },
  {
    name: "astronaut PNG, exact 64 nearest, HWC",
    make: { input: "astronaut.png", format: "PNG" },
    config: defaultPreprocessConfig(64, {
      resize: { mode: "exact", size: 64, filter: "nearest" },
      layout: "HWC",
    }),
    levels: 0,
  },
  {
    name: "chelsea PNG, no resize, crop larger than the image (padding)",
    make: { input: "chelsea.png", format: "PNG" },
    config: defaultPreprocessConfig(1, {
      resize: { mode: "none", size: 1, filter: "bilinear" },
      crop: { width: 500, height: 333 },
      background: [10, 20, 30],
    }),
    levels: 0,
  },
  {
    name: "RGBA PNG over a coloured background, shorter 100, crop 90x60",
    make: { input: "chelsea.png", format: "PNG", alpha: "ramp" },
    config: defaultPreprocessConfig(1, {
      resize: { mode: "shorter_side", size: 100, filter: "bilinear" },
      crop: { width: 90, height: 60 },
      background: [0, 128, 255],
    }),
    levels: 0,
  },
  {
    // The JPEG decoders differ (imagescript vs libjpeg-turbo), not the pipeline.
    name: "chelsea JPEG q90, ImageNet eval",
    make: { input: "chelsea.png", format: "JPEG", params: { quality: 90 } },
    config: imagenet(256, 224, "bilinear"),
    levels: 3,
  },
];

Deno.test("applyPreprocess equals torchvision Normalize(ToTensor(CenterCrop(Resize(img))))", async () => {
  const golden = await Golden.create();
  try {
    const make: GoldenJob[] = CASES.map((c, i) => ({
      op: "make",
      ...c.make,
      input: `${SKIMAGE_DATA}/${c.make.input}`,
      out: golden.path(`in${i}`),
    }));
    const pre: GoldenJob[] = CASES.map((c, i) => ({
      op: "preprocess",
      input: golden.path(`in${i}`),
      config: c.config,
      out: golden.path(`out${i}.f32`),
    }));
    const results = await golden.run([...make, ...pre]);
    const failures: string[] = [];
    for (const [i, c] of CASES.entries()) {
      const img = await decodeImage(await Deno.readFile(golden.path(`in${i}`)), {
        background: c.config.background,
      });
      const ours = applyPreprocess(c.config, img);
      const want = new Float32Array((await Deno.readFile(golden.path(`out${i}.f32`))).buffer);
      const shape = (results[CASES.length + i] as { shape: number[] }).shape;
      const [h, w] = c.config.crop || c.config.resize.mode === "exact"
        ? preprocessOutputSize(c.config)
        : [img.height, img.width];
      assert.deepEqual(shape, c.config.layout === "CHW" ? [3, h, w] : [h, w, 3], c.name);
      const tol = c.levels / 255 / Math.min(...c.config.std) + 1e-6;
      const d = maxAbsDiff(ours, want);
      if (c.levels === 0 ? d !== 0 : d > tol) {
        failures.push(`${c.name}: max diff ${d} > ${c.levels === 0 ? 0 : tol}`);
      }
    }
    assert.deepEqual(failures, []);
  } finally {
    await golden.close();
  }
});

Deno.test("applyPreprocess refuses non-RGB images", () => {
  const gray = { width: 2, height: 2, channels: 1 as const, data: new Uint8Array(4) };
  assert.throws(() => applyPreprocess(defaultPreprocessConfig(2), gray), RangeError);
});
