/**
 * `deno run -A scripts/bench_train.ts [--rounds N] [--steps N]
 *   [--models simple_cnn,resnet18,efficientnet_b0]
 *   [--variants torch,wasm,wasm_simd,cpu] [--cpu-resnet] [--out bench/train.json]`
 *
 * Training throughput (images/s) of one optimisation step (train-mode forward, cross-entropy,
 * backward, AdamW) on:
 * - `wasm`: tfjs-backend-wasm with EDGECLASS_SIMD=0 (stock kernels + train/wasm_kernels.ts);
 * - `wasm_simd`: what training uses by default: the same plus our SIMD kernels (train/simd/,
 *   csrc/), big convolutions split over all cores (SimdPool);
 * - `wasm_simd_1t`: wasm_simd with EDGECLASS_SIMD_THREADS=1 (everything on one thread);
 * - `cpu`: the tfjs cpu backend (ResNet-18 only with --cpu-resnet: minutes per step);
 * - `torch`: PyTorch CPU (/usr/bin/python3, torch.set_num_threads(2)), same architecture,
 *   batch, input size and optimiser (scripts/bench_train_torch.py);
 * - `torch_1t`: the same with torch.set_num_threads(1). On a loaded 2-core box torch's two
 *   OpenMP threads can be several times slower than one, so both are reported.
 *
 * Each variant runs in its own process (fresh JIT, no kernel registrations leaking between
 * them), and the variants take turns round by round, so load from other processes hits them
 * alike; ratios against torch are computed within each round and the median is reported.
 * Per-step times after two warm-up steps (V8 tiers wasm up lazily: the second step is still
 * ~15 % slower than the rest); a round's figure is the median step. The tfjs cpu
 * backend (minutes per step at batch 128) runs in the first round only, one timed step.
 * Writes JSON to --out and prints a table.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { chooseBackend } from "../train/backend.ts";
import { AdamW } from "../train/adamw.ts";
import { crossEntropy } from "../train/loss.ts";
import { buildModel } from "../train/models/build_model.ts";
import { simdKernelsRegistered } from "../train/simd/register_simd_kernels.ts";

type Variant = "torch" | "torch_1t" | "wasm" | "wasm_simd" | "wasm_simd_1t" | "cpu";
type ModelName = "simple_cnn" | "resnet18" | "efficientnet_b0";

interface ModelSetup {
  name: ModelName;
  size: number;
  batch: number;
}

const MODELS: Record<ModelName, ModelSetup> = {
  simple_cnn: { name: "simple_cnn", size: 32, batch: 128 },
  resnet18: { name: "resnet18", size: 64, batch: 64 },
  efficientnet_b0: { name: "efficientnet_b0", size: 64, batch: 32 },
};

const NUM_CLASSES = 9;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function flag(name: string, fallback: string): string {
  const i = Deno.args.indexOf(name);
  return i >= 0 && i + 1 < Deno.args.length ? Deno.args[i + 1] : fallback;
}

/** Child mode: times `steps` training steps of one model on one tfjs variant. */
async function runChild(variant: Variant, setup: ModelSetup, steps: number): Promise<void> {
  await chooseBackend(variant === "cpu" ? "cpu" : "wasm", () => {});
  if (variant.startsWith("wasm") && (variant === "wasm") === simdKernelsRegistered()) {
    throw new Error(`${variant}: EDGECLASS_SIMD did not select the kernels it names`);
  }
  const { size, batch } = setup;
  const model = buildModel({ arch: setup.name, numClasses: NUM_CLASSES, inputSize: size, seed: 1 });
  const optimizer = new AdamW({ lr: 1e-3, weightDecay: 1e-4 });
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const x = tf.randomNormal([batch, size, size, 3], 0, 1, "float32", 1);
  const y = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % NUM_CLASSES), "int32");
  const step = () => {
    const { value, grads } = tf.variableGrads(
      () => crossEntropy(model.apply(x, { training: true }) as tf.Tensor2D, y),
      variables,
    );
    optimizer.applyGradients(grads);
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    if (!Number.isFinite(loss)) throw new Error(`loss is ${loss}`);
  };
  // warm-up: wasm tier-up, allocator, kernel setup (the slow cpu backend gets one step)
  for (let i = variant === "cpu" ? 1 : 2; i > 0; i--) step();
  const stepMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    step();
    stepMs.push(performance.now() - t);
  }
  console.log(JSON.stringify({ step_ms: stepMs, backend: tf.getBackend() }));
}

async function runProcess(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ step_ms: number[] }> {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const stdout = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    const stderr = new TextDecoder().decode(out.stderr);
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${stderr.slice(-2000)}`);
  }
  const last = stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(last);
}

function measure(variant: Variant, setup: ModelSetup, steps: number) {
  const { name, size, batch } = setup;
  if (variant === "torch" || variant === "torch_1t") {
    return runProcess("/usr/bin/python3", [
      new URL("./bench_train_torch.py", import.meta.url).pathname,
      name,
      String(size),
      String(batch),
      String(steps),
      variant === "torch" ? "2" : "1",
    ]);
  }
  return runProcess(
    Deno.execPath(),
    ["run", "-A", new URL(import.meta.url).pathname, "--child", variant, name, String(steps)],
    CHILD_ENV[variant] ?? {},
  );
}

/** Environment of each tfjs child: train/backend.ts loads our SIMD kernels unless told not to. */
const CHILD_ENV: Partial<Record<Variant, Record<string, string>>> = {
  wasm: { EDGECLASS_SIMD: "0" },
  wasm_simd: { EDGECLASS_SIMD: "1" },
  wasm_simd_1t: { EDGECLASS_SIMD: "1", EDGECLASS_SIMD_THREADS: "1" },
};

interface Row {
  model: ModelName;
  variant: Variant;
  size: number;
  batch: number;
  /** Median step time of each round, ms. */
  round_ms: number[];
  img_per_s: number;
  /** Median over rounds of (this variant's img/s / torch's img/s in the same round). */
  ratio_vs_torch: number | null;
  /** The same against torch with one thread. */
  ratio_vs_torch_1t: number | null;
}

async function main(): Promise<void> {
  const childAt = Deno.args.indexOf("--child");
  if (childAt >= 0) {
    const [variant, model, steps] = Deno.args.slice(childAt + 1);
    await runChild(variant as Variant, MODELS[model as ModelName], Number(steps));
    return;
  }
  const rounds = Number(flag("--rounds", "3"));
  const steps = Number(flag("--steps", "3"));
  const models = flag("--models", "simple_cnn,resnet18,efficientnet_b0").split(",") as ModelName[];
  const variants = flag("--variants", "torch,torch_1t,wasm,wasm_simd,wasm_simd_1t,cpu")
    .split(",") as Variant[];
  const cpuResnet = Deno.args.includes("--cpu-resnet");
  const outPath = flag("--out", "bench/train.json");
  for (const m of models) if (!(m in MODELS)) throw new RangeError(`unknown model ${m}`);
  const rows: Row[] = [];
  for (const model of models) {
    const setup = MODELS[model];
    const active = variants.filter((v) => v !== "cpu" || model === "simple_cnn" || cpuResnet);
    const perRound = new Map<Variant, number[]>(active.map((v) => [v, []]));
    for (let r = 0; r < rounds; r++) {
      for (const variant of active) {
        if (variant === "cpu" && r > 0) continue;
        const n = variant === "cpu" ? 1 : steps;
        const res = await measure(variant, setup, n);
        const ms = median(res.step_ms);
        perRound.get(variant)!.push(ms);
        console.error(`round ${r + 1}/${rounds} ${model} ${variant}: ${ms.toFixed(0)} ms/step`);
      }
    }
    const torch = perRound.get("torch");
    const torch1 = perRound.get("torch_1t");
    for (const variant of active) {
      const ms = perRound.get(variant)!;
      rows.push({
        model,
        variant,
        size: setup.size,
        batch: setup.batch,
        round_ms: ms.map((v) => Math.round(v * 10) / 10),
        img_per_s: setup.batch / (median(ms) / 1000),
        // Round i of this variant against round i of torch (cpu has only round 0).
        ratio_vs_torch: torch === undefined ? null : median(ms.map((v, i) => torch[i] / v)),
        ratio_vs_torch_1t: torch1 === undefined ? null : median(ms.map((v, i) => torch1[i] / v)),
      });
    }
  }
  const load = await Deno.readTextFile("/proc/loadavg").catch(() => "");
  const report = {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    cpus: navigator.hardwareConcurrency,
    loadavg: load.trim(),
    rounds,
    steps,
    rows,
  };
  await Deno.mkdir(new URL(".", `file://${Deno.cwd()}/${outPath}`), { recursive: true });
  await Deno.writeTextFile(outPath, JSON.stringify(report, null, 2) + "\n");
  console.log(`load average ${report.loadavg}; ${rounds} rounds x ${steps} steps; ${outPath}`);
  console.log("model       size batch variant       ms/step  img/s  x torch  x torch_1t");
  for (const r of rows) {
    console.log(
      [
        r.model.padEnd(11),
        String(r.size).padStart(4),
        String(r.batch).padStart(5),
        r.variant.padEnd(12),
        median(r.round_ms).toFixed(0).padStart(8),
        r.img_per_s.toFixed(0).padStart(6),
        (r.ratio_vs_torch === null ? "-" : r.ratio_vs_torch.toFixed(2)).padStart(8),
        (r.ratio_vs_torch_1t === null ? "-" : r.ratio_vs_torch_1t.toFixed(2)).padStart(11),
      ].join(" "),
    );
  }
}

await main();
