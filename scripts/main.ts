/**
 * `deno task main`: the whole job on the built-in data, for a first look.
 *
 * 0. builds the SIMD training kernels (`deno task build:wasm`) if they are missing and clang is
 *    installed; without clang, training says so and runs on the stock (3-4x slower) kernels;
 * 1. trains SimpleCNN on the synthetic wafer maps (`deno task train`, flags passed through),
 *    which exports `runs/<name>/model.onnx`;
 * 2. renders one fresh wafer map per class (a seed the training set never used) into
 *    `runs/<name>/samples/`;
 * 3. classifies them with the edge's predict CLI and writes `runs/<name>/predictions.png`;
 * 4. prints how to serve the model.
 *
 *   deno task main [train flags...]
 *   deno task main --from-run runs/<name>   # skip training
 * @module
 */
import { Image as ScriptImage } from "imagescript";
import { DEFAULT_WAFER_OPTIONS, waferImage } from "../train/data/wafer.ts";
import { WAFER_CLASSES } from "../train/data/wafer_map.ts";
import { SIMD_WASM_URL } from "../train/simd/simd_module.ts";
import { SIMD_MT_WASM_URL } from "../train/simd/simd_pool.ts";

const SAMPLE_SEED = 987_654;

async function step(title: string, args: string[]): Promise<string> {
  console.log(`\n== ${title}\n$ deno ${args.join(" ")}`);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  // Stream the child's output while keeping it for parsing.
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    const s = decoder.decode(chunk, { stream: true });
    text += s;
    await Deno.stdout.write(chunk);
  }
  const status = await child.status;
  if (!status.success) throw new Error(`${title} failed (exit ${status.code})`);
  return text;
}

/** Builds .cache/edgeclass_simd*.wasm when missing and clang exists; never fails the job. */
async function ensureSimdKernels(): Promise<void> {
  const exists = (url: URL) => Deno.stat(url).then(() => true, () => false);
  const built = await exists(SIMD_WASM_URL) && await exists(SIMD_MT_WASM_URL);
  if (built) return;
  let clang: boolean;
  try {
    // Spawning a missing program throws at once (NotFound), not through the promise.
    const out = await new Deno.Command("clang", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    clang = out.success;
  } catch {
    clang = false;
  }
  if (!clang) {
    console.log(
      "\n== SIMD training kernels not built (no clang): training uses the stock wasm kernels, " +
        "3-4x slower.\n   For the fast ones: apt-get install -y clang lld && deno task build:wasm",
    );
    return;
  }
  console.log("\n== build the SIMD training kernels\n$ bash scripts/build_wasm.sh");
  const out = await new Deno.Command("bash", {
    args: [new URL("./build_wasm.sh", import.meta.url).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) console.log("   build failed: training uses the stock wasm kernels");
}

async function writeSamples(dir: string, imageSize: number): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const opts = { ...DEFAULT_WAFER_OPTIONS, seed: SAMPLE_SEED, imageSize };
  const paths: string[] = [];
  for (let cls = 0; cls < WAFER_CLASSES.length; cls++) {
    const img = waferImage(cls, cls, opts); // [H, W, 3]
    const out = new ScriptImage(img.width, img.height);
    for (let i = 0, j = 0; i < img.data.length; i += 3, j += 4) {
      out.bitmap[j] = img.data[i];
      out.bitmap[j + 1] = img.data[i + 1];
      out.bitmap[j + 2] = img.data[i + 2];
      out.bitmap[j + 3] = 255;
    }
    const path = `${dir}/${String(cls).padStart(2, "0")}_${WAFER_CLASSES[cls]}.png`;
    await Deno.writeFile(path, await out.encode());
    paths.push(path);
  }
  return paths;
}

async function main(argv: string[]): Promise<number> {
  // `--from-run <dir>` skips training and classifies with that run's model.
  const from = argv.indexOf("--from-run");
  if (from < 0) await ensureSimdKernels();
  const trainOut = from >= 0 && argv[from + 1]
    ? `model: ${argv[from + 1].replace(/\/$/, "")}/model.onnx\n`
    : await step("train + export", ["run", "-A", "train/main.ts", ...argv]);
  // The trainer's last line names the exported file: "model: runs/<name>/model.onnx".
  const modelPath = trainOut.split("\n").map((l) => /^model: (\S+\.onnx)$/.exec(l.trim())?.[1])
    .filter((p) => p !== undefined).at(-1);
  if (!modelPath) throw new Error("training did not print a model path");
  const runDir = modelPath.replace(/\/model\.onnx$/, "");
  const config = JSON.parse(await Deno.readTextFile(`${runDir}/config.json`));
  const samples = await writeSamples(`${runDir}/samples`, config.imageSize ?? 32);
  await step("classify fresh wafer maps (one per class)", [
    "run",
    "-A",
    "--unstable-raw-imports",
    "edge/predict.ts",
    "--model",
    modelPath,
    "--top-k",
    "3",
    "--plot",
    `${runDir}/predictions.png`,
    ...samples,
  ]);
  console.log(`\n== done
run directory: ${runDir} (config.json, history.json, curves.png, confusion.png, metrics.json)
model:         ${modelPath}
predictions:   ${runDir}/predictions.png
serve it:      MODEL_PATH=${modelPath} deno task serve   # then open http://localhost:8000/`);
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
