/**
 * `deno run -A scripts/gpu_bench_tfjs.ts [--backend webgpu] [--configs simple_cnn:32:128,...]
 *   [--steps 10] [--warmup 2] [--budget-s 200] [--no-check] [--out gpu_tfjs.json]`
 *
 * The tfjs half of scripts/gpu_check.sh: training-step times (train-mode forward, cross-entropy,
 * backward, AdamW) of each `arch:size:batch` config on one backend, plus a correctness check
 * (first-step loss and gradients of SimpleCNN, 16 px, batch 16, against the plain-JS cpu
 * backend). Each step ends with an async read of the loss, so the GPU has finished the step
 * when its time is taken. A config that fails (out of memory, a buffer over the adapter's
 * limits) is recorded with its error and the next one runs; configs not started within
 * --budget-s are recorded as skipped. Writes one JSON object to --out and prints a table.
 *
 * Runs here on llvmpipe (slow) and, bundled with `deno bundle` by scripts/pack_for_device.sh,
 * on the lent GPU machine.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { AdamW } from "../train/adamw.ts";
import { type BackendChoice, chooseBackend } from "../train/backend.ts";
import { compareGradients, firstStepGradients } from "../train/first_step_gradients.ts";
import { crossEntropy } from "../train/loss.ts";
import { type Arch, ARCHS, buildModel } from "../train/models/build_model.ts";

const NUM_CLASSES = 9;

/** One `arch:size:batch` entry of --configs. */
interface BenchConfig {
  arch: Arch;
  size: number;
  batch: number;
}

/** One config's outcome. */
export interface BenchRow extends BenchConfig {
  status: "ok" | "failed" | "skipped";
  /** Times of the timed steps, ms (after the warm-up steps). */
  stepMs?: number[];
  /** Median step time, ms. */
  medianMs?: number;
  imagesPerSecond?: number;
  /** Time of the first (warm-up) step: shader compilation and allocation. */
  firstStepMs?: number;
  /** Loss of the first and of the last step (random data, fixed labels: it should fall). */
  firstLoss?: number;
  lastLoss?: number;
  error?: string;
}

function flag(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

/** Parses "simple_cnn:32:128,resnet18:64:64"; throws naming the bad entry. */
export function parseConfigs(text: string): BenchConfig[] {
  return text.split(",").filter((s) => s !== "").map((entry) => {
    const [arch, size, batch] = entry.split(":");
    const n = [Number(size), Number(batch)];
    if (!ARCHS.includes(arch as Arch) || !n.every((v) => Number.isInteger(v) && v > 0)) {
      throw new TypeError(
        `--configs entry "${entry}": expected arch:size:batch with arch one of ${ARCHS.join(", ")}`,
      );
    }
    return { arch: arch as Arch, size: n[0], batch: n[1] };
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Times `warmup + steps` training steps of one config on the active backend. */
async function benchConfig(c: BenchConfig, warmup: number, steps: number): Promise<BenchRow> {
  const model = buildModel({ arch: c.arch, numClasses: NUM_CLASSES, inputSize: c.size, seed: 1 });
  const optimizer = new AdamW({ lr: 1e-3, weightDecay: 1e-4 });
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const x = tf.randomNormal([c.batch, c.size, c.size, 3], 0, 1, "float32", 1); // [N,H,W,3]
  const y = tf.tensor1d(Array.from({ length: c.batch }, (_, i) => i % NUM_CLASSES), "int32");
  const step = async (): Promise<number> => {
    const { value, grads } = tf.variableGrads(
      () => crossEntropy(model.apply(x, { training: true }) as tf.Tensor2D, y),
      variables,
    );
    optimizer.applyGradients(grads);
    const loss = (await value.data())[0]; // waits for the GPU
    tf.dispose([value, ...Object.values(grads)]);
    if (!Number.isFinite(loss)) throw new Error(`loss is ${loss}`);
    return loss;
  };
  try {
    const times: number[] = [];
    const losses: number[] = [];
    for (let i = 0; i < warmup + steps; i++) {
      const t = performance.now();
      losses.push(await step());
      times.push(performance.now() - t);
    }
    const timed = times.slice(warmup);
    const med = median(timed);
    return {
      ...c,
      status: "ok",
      stepMs: timed.map((v) => Math.round(v * 100) / 100),
      medianMs: Math.round(med * 100) / 100,
      imagesPerSecond: Math.round(c.batch / (med / 1000)),
      firstStepMs: Math.round(times[0]),
      firstLoss: losses[0],
      lastLoss: losses.at(-1),
    };
  } finally {
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }
}

/** First-step loss and gradients on the active backend against the cpu backend. */
async function checkAgainstCpu(backend: BackendChoice): Promise<Record<string, unknown>> {
  const spec = {
    arch: "simple_cnn" as const,
    numClasses: NUM_CLASSES,
    size: 16,
    batch: 16,
    seed: 5,
  };
  await chooseBackend(backend, () => {});
  const got = await firstStepGradients(spec);
  await chooseBackend("cpu", () => {});
  const ref = await firstStepGradients(spec);
  await chooseBackend(backend, () => {});
  const rows = compareGradients(got, ref);
  // relative error where the gradient is real; conv biases before BatchNorm are ~0 (noise)
  const worst = Math.max(...rows.map((r) => r.distance / (r.refNorm + 1e-2)));
  const tolerance = 1e-4;
  return {
    what: "simple_cnn 16px batch 16: first-step gradients vs the tfjs cpu backend",
    loss: got.loss,
    cpuLoss: ref.loss,
    worstRelativeError: worst,
    tolerance,
    pass: Math.abs(got.loss - ref.loss) < 1e-4 && worst <= tolerance,
    perWeight: rows,
  };
}

async function main(args: string[]): Promise<number> {
  const backend = flag(args, "--backend", "webgpu") as BackendChoice;
  const configs = parseConfigs(
    flag(args, "--configs", "simple_cnn:32:128,resnet18:64:64,resnet18:224:64"),
  );
  const steps = Number(flag(args, "--steps", "10"));
  const warmup = Number(flag(args, "--warmup", "2"));
  const budgetS = Number(flag(args, "--budget-s", "200"));
  const outPath = flag(args, "--out", "gpu_tfjs.json");
  const t0 = performance.now();
  const reasons: string[] = [];
  let adapter: Record<string, unknown> | null = null;
  try {
    await chooseBackend(backend, (l) => reasons.push(l));
  } catch (err) {
    const report = { backend, ok: false, error: String(err), reasons };
    await Deno.writeTextFile(outPath, JSON.stringify(report, null, 2) + "\n");
    console.error(`backend ${backend} unavailable: ${err}`);
    return 1;
  }
  if (backend === "webgpu") {
    const gpu = (navigator as unknown as {
      gpu: { requestAdapter(): Promise<{ info: Record<string, unknown>; limits: unknown }> };
    }).gpu;
    const a = await gpu.requestAdapter();
    const l = a.limits as Record<string, number>;
    // GPUAdapterInfo's fields are prototype getters: spreading the object copies nothing
    const info = a.info ?? {};
    adapter = {
      ...Object.fromEntries(
        ["vendor", "architecture", "device", "description", "isFallbackAdapter"].map((k) => [
          k,
          info[k],
        ]),
      ),
      maxBufferSize: l.maxBufferSize,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    };
  }
  let check: Record<string, unknown> | null = null;
  if (!args.includes("--no-check")) {
    try {
      check = await checkAgainstCpu(backend);
    } catch (err) {
      check = { pass: false, error: String(err) };
    }
    console.error(`check vs cpu: ${JSON.stringify({ ...check, perWeight: undefined })}`);
  }
  const rows: BenchRow[] = [];
  for (const c of configs) {
    const label = `${c.arch} ${c.size}px batch ${c.batch}`;
    if ((performance.now() - t0) / 1000 > budgetS) {
      rows.push({ ...c, status: "skipped", error: `time budget of ${budgetS} s spent` });
      console.error(`${label}: skipped (budget)`);
      continue;
    }
    try {
      const row = await benchConfig(c, warmup, steps);
      rows.push(row);
      console.error(
        `${label}: ${row.medianMs} ms/step, ${row.imagesPerSecond} img/s ` +
          `(first step ${row.firstStepMs} ms; loss ${row.firstLoss?.toFixed(3)} -> ` +
          `${row.lastLoss?.toFixed(3)})`,
      );
    } catch (err) {
      const error = err instanceof Error ? err.message.split("\n")[0] : String(err);
      rows.push({ ...c, status: "failed", error });
      console.error(`${label}: FAILED: ${error}`);
    }
  }
  const report = {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    tfjs: tf.version.tfjs,
    backend: tf.getBackend(),
    reasons,
    adapter,
    steps,
    warmup,
    check,
    rows,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
  await Deno.writeTextFile(outPath, JSON.stringify(report, null, 2) + "\n");
  return rows.every((r) => r.status === "ok") && (check === null || check.pass === true) ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
