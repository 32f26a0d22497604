/**
 * `deno run -A scripts/bench_preprocess.ts [--repeat N]`
 *
 * Median time of decode + resize + normalize of a 640x427 JPEG (skimage's coffee photo scaled
 * by Pillow and saved at quality 90) to a 224x224 ImageNet tensor: ours (stage by stage) versus
 * Pillow + torchvision in the same run (/usr/bin/python3, one torch thread). Takes ~10-20 s.
 * @module
 */
import { applyPreprocess, preprocessImage } from "../shared/apply_preprocess.ts";
import { decodeImage } from "../shared/decode.ts";
import {
  defaultPreprocessConfig,
  IMAGENET_MEAN,
  IMAGENET_STD,
  type PreprocessConfig,
} from "../shared/preprocess_config.ts";
import { toTensor } from "../shared/to_tensor.ts";
import { Golden, SKIMAGE_DATA } from "./golden_preprocess.ts";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const repeatArg = Deno.args.indexOf("--repeat");
const REPEAT = repeatArg >= 0 ? Number(Deno.args[repeatArg + 1]) : 40;

const CONFIGS: [string, PreprocessConfig][] = [
  [
    "Resize((224,224)) bilinear",
    defaultPreprocessConfig(224, { mean: IMAGENET_MEAN, std: IMAGENET_STD }),
  ],
  [
    "Resize(256) + CenterCrop(224) bilinear",
    defaultPreprocessConfig(224, {
      resize: { mode: "shorter_side", size: 256, filter: "bilinear" },
      crop: { width: 224, height: 224 },
      mean: IMAGENET_MEAN,
      std: IMAGENET_STD,
    }),
  ],
];

const golden = await Golden.create();
try {
  const jpeg = golden.path("bench.jpg");
  await golden.run([{
    op: "make",
    input: `${SKIMAGE_DATA}/coffee.png`,
    size: [640, 427],
    format: "JPEG",
    params: { quality: 90 },
    out: jpeg,
  }]);
  const bytes = await Deno.readFile(jpeg);
  console.log(`input: 640x427 JPEG q90, ${bytes.length} bytes; ${REPEAT} runs each, medians`);
  for (const [name, config] of CONFIGS) {
    for (let i = 0; i < 5; i++) applyPreprocess(config, await decodeImage(bytes)); // warm-up
    const [dec, pre, ten, total]: number[][] = [[], [], [], []];
    for (let i = 0; i < REPEAT; i++) {
      const t0 = performance.now();
      const img = await decodeImage(bytes);
      const t1 = performance.now();
      const ready = preprocessImage(config, img);
      const t2 = performance.now();
      toTensor(ready, config);
      const t3 = performance.now();
      dec.push(t1 - t0);
      pre.push(t2 - t1);
      ten.push(t3 - t2);
      total.push(t3 - t0);
    }
    const [py] = await golden.run([{
      op: "bench",
      input: jpeg,
      config,
      repeat: REPEAT,
      out: golden.path("unused"),
    }]) as { median_ms: number }[];
    const f = (x: number[]) => median(x).toFixed(2);
    console.log(`\n${name}`);
    console.log(
      `  edgeclass (Deno): ${f(total)} ms  [decode ${f(dec)}, resize+crop ${f(pre)}, tensor ${
        f(ten)
      }]`,
    );
    console.log(`  Pillow+torchvision: ${py.median_ms.toFixed(2)} ms`);
  }
} finally {
  await golden.close();
}
