/**
 * `deno run -A scripts/bench_preprocess.ts [--repeat N]`
 *
 * Median time of decode + resize + normalize of a 640x427 JPEG (skimage's coffee photo scaled
 * by Pillow and saved at quality 90) to a 224x224 ImageNet tensor: ours (stage by stage) versus
 * Pillow + torchvision in the same run (/usr/bin/python3, one torch thread). Takes ~10-20 s.
 *
 * First, decode alone: `decodeImage` (libjpeg-turbo wasm), its `decodeJpeg` core, and
 * imagescript 1.3.1's JPEG wasm (the decoder before it), against Pillow's
 * `Image.open(...).convert("RGB")`, alternating rounds so that load on the machine hits all alike.
 * @module
 */
import jpegWasm from "imagescript/wasm/node/jpeg.js";
import { applyPreprocess, preprocessImage } from "../shared/apply_preprocess.ts";
import { decodeImage } from "../shared/decode.ts";
import { decodeJpeg } from "../shared/decode_jpeg.ts";
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

/** [min, median] ms of Pillow's decode of `path` to RGB over `repeat` runs (one Python start). */
async function pillowDecodeMs(path: string, repeat: number): Promise<number[]> {
  const code = `
import io, sys, time
from PIL import Image
data = open(sys.argv[1], "rb").read()
for _ in range(5): Image.open(io.BytesIO(data)).convert("RGB")
ts = []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    Image.open(io.BytesIO(data)).convert("RGB")
    ts.append((time.perf_counter() - t0) * 1000)
ts.sort()
print(ts[0], ts[len(ts) // 2])
`;
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", code, path, String(repeat)],
    stdout: "piped",
  }).output();
  if (!out.success) throw new Error("Pillow decode bench failed");
  return new TextDecoder().decode(out.stdout).trim().split(" ").map(Number);
}

/** [min, median] ms of `repeat` runs of `f` after a warm-up. */
async function timeMs(repeat: number, f: () => unknown): Promise<number[]> {
  for (let i = 0; i < 5; i++) await f();
  const ts: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  return [Math.min(...ts), median(ts)];
}

async function benchDecode(jpeg: string, bytes: Uint8Array): Promise<void> {
  const imagescript = await (jpegWasm as unknown as {
    init(): Promise<{ decode(b: Uint8Array): unknown }>;
  }).init();
  const rows: Record<string, number[][]> = {
    "decodeImage (libjpeg-turbo 2.0 wasm)": [],
    "decodeJpeg alone": [],
    "imagescript 1.3.1 jpeg wasm (before)": [],
    "Pillow 9.4 (libjpeg-turbo 2.1, SIMD)": [],
  };
  const [ours, core, before, pillow] = Object.values(rows);
  for (let round = 0; round < 3; round++) {
    ours.push(await timeMs(REPEAT, () => decodeImage(bytes)));
    core.push(await timeMs(REPEAT, () => decodeJpeg(bytes)));
    before.push(await timeMs(REPEAT, () => imagescript.decode(bytes)));
    pillow.push(await pillowDecodeMs(jpeg, REPEAT));
  }
  // On a loaded machine the median swings with the load; the minimum is the cost itself.
  console.log("\ndecode only, 3 alternating rounds: min of mins | median of medians");
  const pMin = Math.min(...pillow.map((x) => x[0]));
  const pMed = median(pillow.map((x) => x[1]));
  for (const [name, xs] of Object.entries(rows)) {
    const lo = Math.min(...xs.map((x) => x[0]));
    const med = median(xs.map((x) => x[1]));
    console.log(
      `  ${name.padEnd(38)} ${lo.toFixed(2)} ms (${(lo / pMin).toFixed(2)}x Pillow) | ` +
        `${med.toFixed(2)} ms (${(med / pMed).toFixed(2)}x)`,
    );
  }
}

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
  await benchDecode(jpeg, bytes);
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
