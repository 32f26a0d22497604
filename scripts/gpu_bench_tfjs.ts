/**
 * `deno run -A scripts/gpu_bench_tfjs.ts [--backend webgpu] [--configs simple_cnn:32:128,...]
 *   [--steps 10] [--off-configs simple_cnn:32:128,...] [--off-steps 2] [--warmup 2]
 *   [--budget-s 200] [--diag simple_cnn:32:8,simple_cnn:32:128] [--no-check] [--no-probe]
 *   [--no-diag] [--out gpu_tfjs.json] [--adapter-out adapter.json]`
 * `deno run -A scripts/gpu_bench_tfjs.ts --adapter-only [--adapter-out adapter.json]`
 *
 * The tfjs half of scripts/gpu_check.sh. It diagnoses as well as times, in this order, rewriting
 * --out after every part (and every timed step) so a timeout loses nothing:
 *
 * 1. adapter (written to --adapter-out at once, before tfjs starts): GPUAdapterInfo, whether it
 *    is a software fallback, limits, features, the Vulkan/Deno environment; then the adapter
 *    and features of the device tfjs itself opened.
 * 2. probe (scripts/webgpu_probe.ts): raw WebGPU map round trip, per-dispatch cost, FMA GFLOP/s.
 * 3. check: first-step loss and gradients of SimpleCNN (16 px, batch 16) vs the tfjs cpu backend,
 *    with edgeclass's webgpu patches (train/webgpu/) as chooseBackend leaves them (on unless
 *    EDGECLASS_WEBGPU_PATCHES=0).
 * 4. diagnosis: traced steps of each --diag config (at two batch sizes: per-op overhead vs
 *    compute), with the WebGPU calls of each step counted and timed
 *    (scripts/webgpu_call_stats.ts); then, at the last --diag config, `tf.time` of one step
 *    (summed GPU kernel time from timestamp queries vs wall) and `tf.profile` of one step (top
 *    kernels by kernelTimeMs).
 * 5. rows: training-step times (train-mode forward, cross-entropy, backward, AdamW) of each
 *    --off-configs entry with the patches off (tfjs's stock uploads and Conv2DBackpropFilter;
 *    --off-steps timed steps), then of each --configs entry (`patches` as in 3.). A config not
 *    started within --budget-s, or whose predicted steps (scaled from a smaller finished config
 *    of its arch) would not end within it, is skipped; one running past it stops after its
 *    current step (`truncated`).
 *
 * Each step ends with an async read of the loss, so the GPU has finished the step when its time
 * is taken. Runs here on llvmpipe (slow) and, bundled by scripts/pack_for_device.sh, on the lent
 * GPU machine.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { AdamW } from "../train/adamw.ts";
import { type BackendChoice, chooseBackend } from "../train/backend.ts";
import { compareGradients, firstStepGradients } from "../train/first_step_gradients.ts";
import { crossEntropy } from "../train/loss.ts";
import { type Arch, ARCHS, buildModel } from "../train/models/build_model.ts";
import {
  CallRecorder,
  type CallStats,
  diffStats,
  summarizeStats,
  webgpuTargets,
} from "./webgpu_call_stats.ts";
import { probeWebgpu } from "./webgpu_probe.ts";
import { webgpuPatchesActive } from "../train/webgpu/webgpu_patches.ts";

const NUM_CLASSES = 9;
/** Set to "0" for the --off-configs rows (see train/webgpu/webgpu_patches.ts). */
const PATCHES_ENV = "EDGECLASS_WEBGPU_PATCHES";

/** One `arch:size:batch` entry of --configs. */
interface BenchConfig {
  arch: Arch;
  size: number;
  batch: number;
}

/** One config's outcome. */
export interface BenchRow extends BenchConfig {
  /** Whether edgeclass's webgpu patches (train/webgpu/webgpu_patches.ts) were on. */
  patches: "on" | "off";
  /** "running" while its steps go on (what a killed process leaves in the file). */
  status: "ok" | "failed" | "skipped" | "running";
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
  /** Stopped before --steps timed steps because the time budget ran out. */
  truncated?: boolean;
  /** WebGPU calls of the first step and of the last timed step (scripts/webgpu_call_stats.ts). */
  firstStepCalls?: Record<string, number>;
  lastStepCalls?: Record<string, number>;
  error?: string;
}

/** One traced step: its time and what it did through the WebGPU API. */
interface StepTrace {
  ms: number;
  loss: number;
  /** summarizeStats of the step's calls, plus `otherMs`: time outside WebGPU calls (tfjs JS). */
  calls: Record<string, number>;
  detail?: CallStats;
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

const r2 = (v: number) => Math.round(v * 100) / 100;

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}

/** Writes JSON through a temporary file, so a kill mid-write leaves the previous version. */
async function writeJson(path: string, value: unknown): Promise<void> {
  await Deno.writeTextFile(`${path}.tmp`, JSON.stringify(value, null, 2) + "\n");
  await Deno.rename(`${path}.tmp`, path);
}

// ---------------------------------------------------------------------------------- adapter

const VENDORS: Record<number, string> = {
  0x10de: "NVIDIA",
  0x1002: "AMD",
  0x8086: "Intel",
  0x13b5: "ARM",
  0x5143: "Qualcomm",
  0x10005: "Mesa (software: llvmpipe/lavapipe)",
  0x1ae0: "Google (SwiftShader)",
};

const ENV_KEYS = [
  "VK_DRIVER_FILES",
  "VK_ICD_FILENAMES",
  "VK_ADD_DRIVER_FILES",
  "VK_LOADER_DEBUG",
  "DENO_WEBGPU_BACKEND",
  "LD_LIBRARY_PATH",
  "__EGL_VENDOR_LIBRARY_FILENAMES",
];

function adapterFields(a: GPUAdapter, full: boolean): Record<string, unknown> {
  const info = a.info as GPUAdapterInfo & Record<string, unknown>;
  // GPUAdapterInfo's fields are prototype getters: spreading the object copies nothing
  const fields = Object.fromEntries(
    ["vendor", "architecture", "device", "description", "subgroupMinSize", "subgroupMaxSize"]
      .map((k) => [k, info[k]]),
  );
  const vendorId = Number(info.vendor);
  const isFallbackAdapter = info.isFallbackAdapter ??
    (a as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const software = isFallbackAdapter === true || vendorId === 0x10005 ||
    /llvmpipe|lavapipe|swiftshader|softpipe/i.test(String(info.description ?? ""));
  const out: Record<string, unknown> = {
    ...fields,
    vendorName: VENDORS[vendorId] ?? null,
    isFallbackAdapter: isFallbackAdapter ?? null,
    software,
  };
  if (full) {
    const limits: Record<string, number> = {};
    for (const k in a.limits) limits[k] = (a.limits as unknown as Record<string, number>)[k];
    out.limits = limits;
    out.features = [...a.features].sort();
  }
  return out;
}

/** Adapters for each request option, the env that steers the Vulkan loader, the runtime. */
async function describeAdapters(): Promise<Record<string, unknown>> {
  const env = Object.fromEntries(ENV_KEYS.map((k) => [k, Deno.env.get(k) ?? null]));
  const out: Record<string, unknown> = {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    env,
  };
  if (navigator.gpu === undefined) return { ...out, error: "navigator.gpu is undefined" };
  const requests: [string, GPURequestAdapterOptions | undefined][] = [
    ["highPerformance", { powerPreference: "high-performance" }], // what tfjs asks for
    ["default", undefined],
    ["lowPower", { powerPreference: "low-power" }],
    ["forceFallback", { forceFallbackAdapter: true }],
  ];
  for (const [label, opts] of requests) {
    try {
      const a = await navigator.gpu.requestAdapter(opts);
      out[label] = a === null ? null : adapterFields(a, label === "highPerformance");
    } catch (err) {
      out[label] = { error: errorText(err) };
    }
  }
  return out;
}

function adapterLine(d: Record<string, unknown>): string {
  const a = d.highPerformance as Record<string, unknown> | null | undefined;
  if (!a) return `adapter: none (${d.error ?? "requestAdapter returned null"})`;
  const features = a.features as string[] | undefined;
  return `adapter: vendor=${a.vendor} (${a.vendorName ?? "?"}) device=${a.device} ` +
    `description="${a.description}" architecture="${a.architecture}" ` +
    `isFallbackAdapter=${a.isFallbackAdapter} software=${a.software} ` +
    `timestamp-query=${features?.includes("timestamp-query") ?? "?"} ` +
    `backend env DENO_WEBGPU_BACKEND=${(d.env as Record<string, unknown>).DENO_WEBGPU_BACKEND}`;
}

/** What the tfjs webgpu backend itself opened (its own requestAdapter/requestDevice). */
function tfjsDeviceInfo(): Record<string, unknown> {
  const b = tf.backend() as unknown as {
    device?: GPUDevice;
    adapterInfo?: Record<string, unknown>;
    supportTimestampQuery?: boolean;
  };
  if (b.device === undefined) return { backend: tf.getBackend(), device: null };
  const info = (b.device as unknown as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  return {
    backend: tf.getBackend(),
    deviceAdapterInfo: info
      ? { vendor: info.vendor, device: info.device, description: info.description }
      : null,
    deviceFeatures: [...b.device.features].sort(),
    supportTimestampQuery: b.supportTimestampQuery ?? null,
    flags: Object.fromEntries(
      Object.entries(tf.env().getFlags()).filter(([k]) => k.startsWith("WEBGPU")),
    ),
  };
}

// ------------------------------------------------------------------------------------ steps

/** A model, its optimizer and a fixed random batch; `run` does one training step. */
interface Stepper {
  /** The synchronous part: forward, loss, backward, AdamW; returns the loss tensor. */
  record(): tf.Scalar;
  /** One whole step, ending with the read of the loss; returns the loss. */
  run(): Promise<number>;
  dispose(): void;
}

function makeStepper(c: BenchConfig): Stepper {
  const model = buildModel({ arch: c.arch, numClasses: NUM_CLASSES, inputSize: c.size, seed: 1 });
  const optimizer = new AdamW({ lr: 1e-3, weightDecay: 1e-4 });
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const x = tf.randomNormal([c.batch, c.size, c.size, 3], 0, 1, "float32", 1); // [N,H,W,3]
  const y = tf.tensor1d(Array.from({ length: c.batch }, (_, i) => i % NUM_CLASSES), "int32");
  const record = (): tf.Scalar => {
    const { value, grads } = tf.variableGrads(
      () => crossEntropy(model.apply(x, { training: true }) as tf.Tensor2D, y),
      variables,
    );
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
    return value;
  };
  return {
    record,
    run: async () => {
      const value = record();
      const loss = (await value.data())[0]; // waits for the GPU
      value.dispose();
      if (!Number.isFinite(loss)) throw new Error(`loss is ${loss}`);
      return loss;
    },
    dispose: () => {
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    },
  };
}

/** Runs one step with its WebGPU calls counted; `detail` keeps the per-method table. */
async function traceStep(s: Stepper, rec: CallRecorder, detail = false): Promise<StepTrace> {
  const before = rec.snapshot();
  const t = performance.now();
  const loss = await s.run();
  const ms = performance.now() - t;
  const d = diffStats(rec.snapshot(), before);
  const calls = summarizeStats(d);
  // the JS thread's time outside WebGPU calls and map waits: tfjs op dispatch, shader keys, GC
  calls.otherMs = r2(ms - calls.syncApiMs - calls.mapAsyncMs);
  return { ms: r2(ms), loss, calls, ...(detail ? { detail: d } : {}) };
}

function callsLine(t: StepTrace): string {
  const c = t.calls;
  return `${t.ms} ms: ${c.dispatches} dispatches, ${c.submits} submits (${r2(c.submitMs)} ms), ` +
    `${c.mapAsyncs} mapAsync (${r2(c.mapAsyncMs)} ms), ${c.pipelinesCreated} pipelines ` +
    `(${r2(c.pipelineMs)} ms), ${c.buffersCreated} createBuffer, ${c.bindGroupsCreated} ` +
    `bind groups, ${c.writeBuffers} writeBuffer, ${c.mappedRanges} getMappedRange ` +
    `(${r2(c.mappedRangeMs)} ms); WebGPU sync calls ${c.syncApiMs} ms, ` +
    `other JS ${c.otherMs} ms`;
}

/** Times `warmup + steps` training steps of one config; stops early past `deadline`. */
async function benchConfig(
  c: BenchConfig,
  patches: BenchRow["patches"],
  warmup: number,
  steps: number,
  rec: CallRecorder,
  deadline: number,
  onStep: (partial: BenchRow) => Promise<void>,
): Promise<BenchRow> {
  const s = makeStepper(c);
  try {
    const times: number[] = [];
    const losses: number[] = [];
    const row: BenchRow = { ...c, patches, status: "running" };
    for (let i = 0; i < warmup + steps; i++) {
      const t = await traceStep(s, rec);
      times.push(t.ms);
      losses.push(t.loss);
      if (i === 0) row.firstStepCalls = t.calls;
      row.lastStepCalls = t.calls;
      const stop = i + 1 < warmup + steps && performance.now() > deadline;
      // out of time before any timed step: report the last warm-up step rather than nothing
      const timed = times.length > warmup ? times.slice(warmup) : stop ? times.slice(-1) : [];
      Object.assign(row, {
        stepMs: timed,
        firstStepMs: Math.round(times[0]),
        firstLoss: losses[0],
        lastLoss: losses.at(-1),
      });
      if (timed.length > 0) {
        row.medianMs = r2(median(timed));
        row.imagesPerSecond = Math.round(c.batch / (row.medianMs / 1000));
      }
      if (stop) {
        row.truncated = true;
        break;
      }
      await onStep(row);
    }
    row.status = "ok";
    return row;
  } finally {
    s.dispose();
  }
}

/**
 * A step's expected time for `c` from the last finished row of the same arch and patch state,
 * scaled by pixels x batch (compute-bound; per-op overhead makes it an overestimate); null when
 * there is no such row.
 */
export function predictStepMs(
  c: BenchConfig,
  patches: BenchRow["patches"],
  rows: readonly BenchRow[],
): number | null {
  const r = rows.findLast((r) =>
    r.arch === c.arch && r.patches === patches && r.medianMs !== undefined
  );
  if (r === undefined) return null;
  return r.medianMs! * (c.size * c.size * c.batch) / (r.size * r.size * r.batch);
}

// -------------------------------------------------------------------------------- diagnosis

/** Kernels of one profiled step, grouped by name, slowest first. */
function summarizeProfile(info: Awaited<ReturnType<typeof tf.profile>>): Record<string, unknown> {
  const byName = new Map<string, { count: number; ms: number }>();
  let totalMs = 0;
  let timed = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : NaN;
    const e = byName.get(k.name) ?? { count: 0, ms: 0 };
    e.count++;
    if (Number.isFinite(ms)) {
      e.ms += ms;
      totalMs += ms;
      timed++;
    }
    byName.set(k.name, e);
  }
  const top = [...byName.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, 15)
    .map(([name, e]) => ({ name, count: e.count, kernelMs: r2(e.ms) }));
  const slowest = [...info.kernels]
    .filter((k) => typeof k.kernelTimeMs === "number")
    .sort((a, b) => (b.kernelTimeMs as number) - (a.kernelTimeMs as number))
    .slice(0, 10)
    .map((k) => ({
      name: k.name,
      kernelMs: r2(k.kernelTimeMs as number),
      inputShapes: k.inputShapes,
      outputShapes: k.outputShapes,
    }));
  return {
    kernels: info.kernels.length,
    timedKernels: timed,
    totalKernelMs: r2(totalMs),
    top,
    slowest,
  };
}

async function diagnose(
  configs: BenchConfig[],
  rec: CallRecorder,
  deadline: number,
  save: (d: Record<string, unknown>) => Promise<void>,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { configs: {} };
  const perConfig = out.configs as Record<string, unknown>;
  const log = (line: string) => console.error(`diag ${line}`);
  let last: Stepper | null = null;
  let lastLabel = "";
  try {
    for (const c of configs) {
      const label = `${c.arch}:${c.size}:${c.batch}`;
      if (performance.now() > deadline) {
        perConfig[label] = { skipped: "diagnosis time budget spent" };
        continue;
      }
      last?.dispose();
      last = null;
      const s = makeStepper(c);
      last = s;
      lastLabel = label;
      const entry: Record<string, unknown> = {};
      perConfig[label] = entry;
      try {
        const first = await traceStep(s, rec, true);
        entry.firstStep = first;
        log(`${label} first step ${callsLine(first)}`);
        await save(out);
        const traces: StepTrace[] = [];
        for (let i = 0; i < 3 && performance.now() < deadline; i++) {
          traces.push(await traceStep(s, rec, i === 0));
          log(`${label} step ${callsLine(traces[i])}`);
          entry.steps = traces;
          entry.medianMs = r2(median(traces.map((t) => t.ms)));
          await save(out);
        }
      } catch (err) {
        entry.error = errorText(err);
        log(`${label} FAILED: ${entry.error}`);
      }
    }
    // per-op overhead vs compute: the large batch's step time over the small one's
    const medians = configs.map((c) =>
      (perConfig[`${c.arch}:${c.size}:${c.batch}`] as { medianMs?: number } | undefined)?.medianMs
    );
    if (configs.length >= 2 && medians[0] && medians.at(-1)) {
      out.batchScaling = {
        batches: configs.map((c) => c.batch),
        medianMs: medians,
        timeRatio: r2(medians.at(-1)! / medians[0]!),
        batchRatio: configs.at(-1)!.batch / configs[0].batch,
        note: "timeRatio near 1: per-op overhead dominates; near batchRatio: compute dominates",
      };
    }
    if (last === null || performance.now() > deadline) return out;
    const s = last;
    // GPU time of every kernel of one step (timestamp queries), summed, vs the step's wall time
    try {
      const held: { value?: tf.Scalar } = {};
      const timing = await tf.time(() => {
        held.value = s.record();
      });
      if (held.value) {
        await held.value.data();
        held.value.dispose();
      }
      const kernelMs = r2(timing.kernelMs as number);
      out.time = { config: lastLabel, kernelMs, wallMs: r2(timing.wallMs) };
      log(
        `tf.time ${lastLabel}: GPU kernels ${kernelMs} ms of ${r2(timing.wallMs)} ms wall ` +
          `(the timed step submits and reads back per kernel, so its wall time is inflated)`,
      );
    } catch (err) {
      out.time = { error: errorText(err) };
    }
    await save(out);
    if (performance.now() > deadline) return out;
    try {
      const t = performance.now();
      const info = await tf.profile(() => s.record());
      (info.result as tf.Tensor).dispose();
      const p = summarizeProfile(info);
      out.profile = { config: lastLabel, wallMs: Math.round(performance.now() - t), ...p };
      log(
        `tf.profile ${lastLabel}: ${p.kernels} kernels, ${p.totalKernelMs} ms GPU; top ` +
          (p.top as { name: string; count: number; kernelMs: number }[]).slice(0, 6)
            .map((k) => `${k.name} x${k.count} ${k.kernelMs} ms`).join(", "),
      );
    } catch (err) {
      out.profile = { error: errorText(err) };
    }
    await save(out);
    return out;
  } finally {
    last?.dispose();
  }
}

// ------------------------------------------------------------------------------------ check

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

// ------------------------------------------------------------------------------------- main

async function main(args: string[]): Promise<number> {
  const t0 = performance.now();
  const adapterOut = flag(args, "--adapter-out", "");
  const rec = new CallRecorder();
  rec.install(webgpuTargets()); // before tfjs opens its device: every call is seen
  const adapter = await describeAdapters();
  console.error(adapterLine(adapter));
  if (adapterOut !== "") await writeJson(adapterOut, adapter);
  if (args.includes("--adapter-only")) {
    console.log(JSON.stringify(adapter, null, 2));
    return adapter.highPerformance ? 0 : 2;
  }

  const backend = flag(args, "--backend", "webgpu") as BackendChoice;
  const configs = parseConfigs(
    flag(args, "--configs", "simple_cnn:32:128,resnet18:64:64,resnet18:224:64"),
  );
  const diagConfigs = parseConfigs(flag(args, "--diag", "simple_cnn:32:8,simple_cnn:32:128"));
  const steps = Number(flag(args, "--steps", "10"));
  const offConfigs = parseConfigs(flag(args, "--off-configs", ""));
  const offSteps = Number(flag(args, "--off-steps", "2"));
  const warmup = Number(flag(args, "--warmup", "2"));
  const budgetS = Number(flag(args, "--budget-s", "200"));
  const outPath = flag(args, "--out", "gpu_tfjs.json");
  const deadline = t0 + budgetS * 1000;
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    tfjs: tf.version.tfjs,
    backend,
    adapter,
    steps,
    offSteps,
    warmup,
    budgetS,
    done: false,
  };
  const save = async () => {
    report.seconds = Math.round((performance.now() - t0) / 100) / 10;
    await writeJson(outPath, report);
  };
  await save();

  const reasons: string[] = [];
  try {
    await chooseBackend(backend, (l) => reasons.push(l));
  } catch (err) {
    Object.assign(report, { ok: false, error: String(err), reasons, done: true });
    await save();
    console.error(`backend ${backend} unavailable: ${err}`);
    return 1;
  }
  report.reasons = reasons;
  report.patches = webgpuPatchesActive() ? "on" : "off";
  report.tfjsDevice = tfjsDeviceInfo();
  if (adapterOut !== "") await writeJson(adapterOut, { ...adapter, tfjsDevice: report.tfjsDevice });
  await save();

  if (backend === "webgpu" && !args.includes("--no-probe")) {
    const probe = await probeWebgpu();
    report.probe = probe;
    console.error(
      `probe: map round trip ${probe.roundTrip?.medianMs} ms; ${probe.dispatch?.n} dispatches ` +
        `${probe.dispatch?.totalMs} ms (${probe.dispatch?.perDispatchMs} ms each, correct ` +
        `${probe.dispatch?.correct}); FMA ${probe.fma?.bestGflops} GFLOP/s (${probe.fma?.timing}, ` +
        `correct ${probe.fma?.correct})${probe.error ? `; error ${probe.error}` : ""}`,
    );
    await save();
  }

  let check: Record<string, unknown> | null = null;
  if (!args.includes("--no-check")) {
    try {
      check = await checkAgainstCpu(backend);
    } catch (err) {
      check = { pass: false, error: String(err) };
    }
    report.check = check;
    console.error(`check vs cpu: ${JSON.stringify({ ...check, perWeight: undefined })}`);
    await save();
  }

  if (!args.includes("--no-diag")) {
    // the diagnosis may take up to ~40% of the budget; the timed rows get the rest
    const diagDeadline = t0 + budgetS * 400;
    report.diagnosis = await diagnose(diagConfigs, rec, diagDeadline, async (d) => {
      report.diagnosis = d;
      await save();
    });
    await save();
  }

  const rows: BenchRow[] = [];
  report.rows = rows;
  const runRows = async (list: BenchConfig[], n: number) => {
    const patches = webgpuPatchesActive() ? "on" : "off";
    for (const c of list) {
      const label = `${c.arch} ${c.size}px batch ${c.batch} [patches ${patches}]`;
      const predicted = predictStepMs(c, patches, rows);
      const left = deadline - performance.now();
      const skip = left <= 0
        ? `time budget of ${budgetS} s spent`
        : predicted !== null && predicted * (warmup + 1) > left
        ? `${warmup + 1} steps of a predicted ${Math.round(predicted)} ms would not end within ` +
          `the ${Math.round(left / 1000)} s left`
        : null;
      if (skip !== null) {
        rows.push({ ...c, patches, status: "skipped", error: skip });
        console.error(`${label}: skipped (${skip})`);
        await save();
        continue;
      }
      const i = rows.length;
      rows.push({ ...c, patches, status: "running" });
      await save();
      try {
        const row = await benchConfig(c, patches, warmup, n, rec, deadline, async (partial) => {
          rows[i] = partial;
          await save();
        });
        rows[i] = row;
        console.error(
          `${label}: ${row.medianMs} ms/step, ${row.imagesPerSecond} img/s ` +
            `(first step ${row.firstStepMs} ms; loss ${row.firstLoss?.toFixed(3)} -> ` +
            `${row.lastLoss?.toFixed(3)}; ${row.stepMs?.length} timed steps` +
            `${row.truncated ? ", truncated by the budget" : ""}; ` +
            `${row.lastStepCalls?.dispatches} dispatches/step, ` +
            `${row.lastStepCalls?.mappedRanges} getMappedRange/step)`,
        );
      } catch (err) {
        rows[i] = { ...c, patches, status: "failed", error: errorText(err) };
        console.error(`${label}: FAILED: ${rows[i].error}`);
      }
      await save();
    }
  };
  if (offConfigs.length > 0) {
    // The baseline first (short: it is slow), so a budget spent on the last --configs entries
    // does not cost the comparison: tfjs's stock uploads and Conv2DBackpropFilter.
    const saved = Deno.env.get(PATCHES_ENV);
    Deno.env.set(PATCHES_ENV, "0");
    try {
      const r = await chooseBackend(backend, () => {});
      report.reasonsPatchesOff = r.reasons;
      await runRows(offConfigs, offSteps);
    } finally {
      if (saved === undefined) Deno.env.delete(PATCHES_ENV);
      else Deno.env.set(PATCHES_ENV, saved);
      await chooseBackend(backend, () => {});
    }
  }
  await runRows(configs, steps);
  report.callTotals = diffStats(rec.snapshot(), {});
  report.done = true;
  await save();
  rec.uninstall();
  return rows.every((r) => r.status === "ok") && (check === null || check.pass === true) ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
