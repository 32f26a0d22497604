/**
 * The models the benchmarks serve, and how their .onnx files are made: random weights (speed does
 * not depend on them), built with train/'s tfjs architectures and exported by train/export, with
 * the same preprocessing metadata a trained model carries.
 *
 * Run as `deno run -A scripts/bench/bench_models.ts <dir>` (bench.ts does it in a subprocess, so
 * tfjs never shares the process or heap being measured).
 * @module
 */
import type { Arch } from "../../train/models/arch.ts";
import {
  defaultPreprocessConfig,
  IMAGENET_MEAN,
  IMAGENET_STD,
  type PreprocessConfig,
} from "../../shared/preprocess_config.ts";

/** One benchmark model: architecture, input side, classes and eval preprocessing. */
export interface BenchModel {
  /** File stem: `<dir>/<key>.onnx`. */
  key: string;
  arch: Arch;
  size: number;
  numClasses: number;
  preprocess: PreprocessConfig;
}

/** SimpleCNN at 32 and 64 px (wafer maps, 9 classes) and ResNet18 at 224 px (ImageNet head). */
export const BENCH_MODELS: readonly BenchModel[] = [
  {
    key: "simple_cnn_32",
    arch: "simple_cnn",
    size: 32,
    numClasses: 9,
    preprocess: defaultPreprocessConfig(32),
  },
  {
    key: "simple_cnn_64",
    arch: "simple_cnn",
    size: 64,
    numClasses: 9,
    preprocess: defaultPreprocessConfig(64),
  },
  {
    key: "resnet18_224",
    arch: "resnet18",
    size: 224,
    numClasses: 1000,
    // torchvision's ImageNet eval transform: Resize(256) + CenterCrop(224) + Normalize.
    preprocess: defaultPreprocessConfig(224, {
      resize: { mode: "shorter_side", size: 256, filter: "bilinear" },
      crop: { width: 224, height: 224 },
      mean: IMAGENET_MEAN,
      std: IMAGENET_STD,
    }),
  },
];

/** Side of the synthetic wafer-map PNG that the HTTP and cold sections post to SimpleCNN. */
export const WAFER_PNG_SIZE = 64;

/** Looks a model up by key; throws a TypeError listing the keys when it is unknown. */
export function benchModel(key: string): BenchModel {
  const m = BENCH_MODELS.find((b) => b.key === key);
  if (!m) {
    throw new TypeError(`unknown bench model '${key}' (${BENCH_MODELS.map((b) => b.key)})`);
  }
  return m;
}

async function writeModels(dir: string): Promise<void> {
  // Imported here so importing this module for the table above stays free of tfjs.
  const { buildModel } = await import("../../train/models/build_model.ts");
  const { exportOnnx } = await import("../../train/export/export_onnx.ts");
  const { EDGECLASS_VERSION } = await import("../../shared/model_metadata.ts");
  const { WAFER_CLASSES } = await import("../../train/data/wafer_map.ts");
  for (const m of BENCH_MODELS) {
    const path = `${dir}/${m.key}.onnx`;
    const model = buildModel({
      arch: m.arch,
      numClasses: m.numClasses,
      inputSize: m.size,
      seed: 1,
    });
    const labels = m.numClasses === WAFER_CLASSES.length
      ? [...WAFER_CLASSES]
      : Array.from({ length: m.numClasses }, (_, i) => `class_${i}`);
    const bytes = exportOnnx(model, {
      labels,
      preprocess: m.preprocess,
      arch: m.arch,
      inputSize: [m.size, m.size],
      metrics: {},
      configSha256: "",
      edgeclassVersion: EDGECLASS_VERSION,
      temperature: 1,
    });
    model.dispose();
    await Deno.writeFile(path, bytes);
    console.error(`bench: wrote ${path} (${(bytes.length / 1e6).toFixed(1)} MB)`);
  }
}

async function writeWaferPng(path: string): Promise<void> {
  const { waferImage, DEFAULT_WAFER_OPTIONS } = await import("../../train/data/wafer.ts");
  const { Image } = await import("imagescript");
  // Class 4 (Edge-Ring): a map with structure, not a blank wafer.
  const img = waferImage(4, 7, { ...DEFAULT_WAFER_OPTIONS, imageSize: WAFER_PNG_SIZE });
  const out = new Image(img.width, img.height);
  for (let i = 0; i < img.width * img.height; i++) {
    out.bitmap.set([img.data[3 * i], img.data[3 * i + 1], img.data[3 * i + 2], 255], 4 * i);
  }
  await Deno.writeFile(path, await out.encode());
  console.error(`bench: wrote ${path}`);
}

if (import.meta.main) {
  const dir = Deno.args[0];
  if (!dir) {
    console.error("usage: deno run -A scripts/bench/bench_models.ts <dir>");
    Deno.exit(2);
  }
  await Deno.mkdir(dir, { recursive: true });
  await writeModels(dir);
  await writeWaferPng(`${dir}/wafer_${WAFER_PNG_SIZE}.png`);
}
