/**
 * The `train` section: training throughput (images/s of full SGD steps) of our tfjs backends
 * against PyTorch CPU in the same run.
 *
 * The training-speed owner's `scripts/bench_train.ts` is the real benchmark: when it exists it is
 * run (it writes bench/train.json) under a time limit and its JSON is taken as this section.
 * Otherwise (absent, or failed) this file is
 * a minimal stand-in: SimpleCNN 32 px and ResNet18 64 px, tfjs wasm and cpu (each backend in its
 * own subprocess: `deno run -A scripts/bench/train_section.ts <arch> <size> <batch> <backend>
 * <budget_s>`) against PyTorch via peer_torch.py.
 * @module
 */
import type { Tensor } from "@tensorflow/tfjs";
import type { Goal } from "./format_tables.ts";
import { runJsonProcess } from "./run_json_process.ts";
import { summarize, type Summary } from "./summarize.ts";

const HERE = new URL(".", import.meta.url).pathname;
const BENCH_TRAIN = new URL("../bench_train.ts", import.meta.url).pathname;

/** Options of `runTrainSection`. */
export interface TrainSectionOptions {
  python: string;
  threads: number;
  /** Seconds of timed steps per (model, implementation) in the stand-in. */
  budgetS: number;
  /** Where scripts/bench_train.ts writes its JSON (its --out). */
  benchTrainJson: string;
  /** Extra arguments for scripts/bench_train.ts (rounds, steps, variants). */
  benchTrainArgs: string[];
  /** Seconds scripts/bench_train.ts may take; then its whole process group is killed. */
  benchTrainTimeoutS: number;
  backends: string[];
  log: (line: string) => void;
}

/** The `train` section's result: the owner's JSON, or the stand-in's rows. */
export type TrainSectionResult =
  | { source: "scripts/bench_train.ts"; args: string[]; data: unknown; error?: string }
  | {
    source: "scripts/bench/train_section.ts (stand-in)";
    note?: string;
    rows: { model: string; batch: number; impl: string; imgPerS: Summary }[];
  };

/** One row of scripts/bench_train.ts's JSON (the fields the goals read). */
export interface BenchTrainRow {
  model: string;
  variant: string;
  ratio_vs_torch: number | null;
}

/**
 * The training-speed issue's goals, on the default training path (`wasm_simd`): SimpleCNN
 * 32 px at >= 0.5x PyTorch's img/s (2 threads), ResNet18 64 px at >= 0.3x; EfficientNet-B0 is
 * reported. Each value is bench_train's median over rounds of the per-round ratio.
 */
export function trainGoals(rows: BenchTrainRow[]): Goal[] {
  const ratio = (model: string) =>
    rows.find((r) => r.model === model && r.variant === "wasm_simd")?.ratio_vs_torch ?? null;
  const goal = (model: string, min: number | null): Goal => {
    const value = ratio(model);
    return {
      name: `${model} training img/s, ours (wasm + SIMD kernels) / PyTorch 2 threads`,
      target: min === null ? "report" : `>= ${min}`,
      value,
      pass: value === null || min === null ? null : value >= min,
    };
  };
  return [goal("simple_cnn", 0.5), goal("resnet18", 0.3), goal("efficientnet_b0", null)];
}

/** Models of the stand-in: [arch, size, batch]. */
const STAND_IN_JOBS: [string, number, number][] = [["simple_cnn", 32, 64], ["resnet18", 64, 16]];

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function ownerBench(opts: TrainSectionOptions): Promise<unknown> {
  opts.log(`  train: running scripts/bench_train.ts ${opts.benchTrainArgs.join(" ")}`);
  // GNU timeout makes its own process group and kills all of it, bench_train's children too.
  const out = await new Deno.Command("timeout", {
    args: [
      "-k",
      "5",
      String(opts.benchTrainTimeoutS),
      Deno.execPath(),
      "run",
      "-A",
      BENCH_TRAIN,
      "--out",
      opts.benchTrainJson,
      ...opts.benchTrainArgs,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (out.code === 124 || out.code === 137) {
    throw new Error(`scripts/bench_train.ts timed out after ${opts.benchTrainTimeoutS} s`);
  }
  if (!out.success) throw new Error(`scripts/bench_train.ts exited ${out.code}`);
  return JSON.parse(await Deno.readTextFile(opts.benchTrainJson));
}

/** Runs scripts/bench_train.ts if present, else the stand-in. */
export async function runTrainSection(opts: TrainSectionOptions): Promise<TrainSectionResult> {
  let note: string | undefined;
  if (await exists(BENCH_TRAIN)) {
    try {
      return {
        source: "scripts/bench_train.ts",
        args: opts.benchTrainArgs,
        data: await ownerBench(opts),
      };
    } catch (e) {
      // A timeout leaves no time for the stand-in either: report it and move on.
      if (/timed out/.test((e as Error).message)) {
        return {
          source: "scripts/bench_train.ts",
          args: opts.benchTrainArgs,
          data: null,
          error: (e as Error).message,
        };
      }
      note = `scripts/bench_train.ts failed, stand-in used: ${(e as Error).message}`;
      opts.log(`  train: ${note}`);
    }
  } else {
    note = "scripts/bench_train.ts not found; minimal stand-in used";
  }
  const rows: { model: string; batch: number; impl: string; imgPerS: Summary }[] = [];
  for (const [arch, size, batch] of STAND_IN_JOBS) {
    const model = `${arch}_${size}`;
    for (const backend of opts.backends) {
      opts.log(`  train: tfjs ${backend}, ${model}, batch ${batch}`);
      const r = await runJsonProcess<{ img_per_s: number[] }>(
        Deno.execPath(),
        ["run", "-A", `${HERE}train_section.ts`],
        { arch, size, batch, backend, budget_s: opts.budgetS },
      );
      rows.push({ model, batch, impl: `tfjs_${backend}`, imgPerS: summarize(r.img_per_s) });
    }
    opts.log(`  train: PyTorch CPU, ${model}, batch ${batch}`);
    const py = await runJsonProcess<Record<string, { img_per_s: number[] }>>(
      opts.python,
      [`${HERE}peer_torch.py`, "train"],
      {
        threads: opts.threads,
        budget_s: opts.budgetS,
        min_n: 3,
        max_n: 200,
        jobs: [{ key: model, arch, size, num_classes: 9, batch }],
      },
    );
    rows.push({
      model,
      batch,
      impl: `torch_cpu_${opts.threads}t`,
      imgPerS: summarize(py[model].img_per_s),
    });
  }
  return { source: "scripts/bench/train_section.ts (stand-in)", note, rows };
}

/** Subprocess side: SGD steps of one model on one tfjs backend, printed as JSON img/s. */
async function tfjsTrainSteps(spec: {
  arch: string;
  size: number;
  batch: number;
  backend: string;
  budget_s: number;
}): Promise<{ img_per_s: number[] }> {
  const { chooseBackend, tf } = await import("../../train/backend.ts");
  const { buildModel } = await import("../../train/models/build_model.ts");
  await chooseBackend(spec.backend as "wasm" | "cpu", () => {});
  const classes = 9;
  const model = buildModel({
    arch: spec.arch as "simple_cnn" | "resnet18",
    numClasses: classes,
    inputSize: spec.size,
    seed: 1,
  });
  const optimizer = tf.train.sgd(0.01);
  const x = tf.randomNormal([spec.batch, spec.size, spec.size, 3]);
  const y = tf.oneHot(tf.randomUniform([spec.batch], 0, classes, "int32"), classes);
  const step = () => {
    const t0 = performance.now();
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as Tensor),
      true,
    );
    loss?.dataSync();
    loss?.dispose();
    return spec.batch / ((performance.now() - t0) / 1000);
  };
  step(); // warm-up: kernel compilation, operator caches
  const out: number[] = [];
  const start = performance.now();
  while (out.length < 2 || (performance.now() - start < spec.budget_s * 1000 && out.length < 200)) {
    out.push(step());
  }
  return { img_per_s: out };
}

if (import.meta.main) {
  const spec = JSON.parse(await Deno.readTextFile(Deno.args[0]));
  const r = await tfjsTrainSteps(spec);
  // stdout carries only the JSON (tfjs may print banners to stdout before this).
  console.log(`\n${JSON.stringify(r)}`);
}
