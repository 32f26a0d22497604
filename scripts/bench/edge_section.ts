/**
 * The `edge` section: decode + preprocess + inference at batch 1, in process, for each bench
 * model on a real photo as JPEG and PNG. Ours (edge's classifyImages on the web and native
 * engines) against, in the same run, Pillow + torchvision + PyTorch eager (peer_torch.py) and
 * Pillow + native ONNX Runtime (peer_torch.py's decode/preprocess samples plus onnxruntime-node
 * inference in peer_ort_node.mjs on Pillow's tensor).
 *
 * Runs in rounds whose order alternates (peers, ours / ours, peers) so that load from other users
 * of a shared machine drifts onto both sides alike.
 * @module
 */
import process from "node:process";
import { applyPreprocess } from "../../shared/apply_preprocess.ts";
import { decodeImage } from "../../shared/decode.ts";
import { classifyImages } from "../../edge/classify_images.ts";
import type { EngineKind } from "../../edge/engine.ts";
import { loadServedModel } from "../../edge/served_model.ts";
import type { BenchFixtures } from "./bench_fixtures.ts";
import { benchModel } from "./bench_models.ts";
import { runJsonProcess } from "./run_json_process.ts";
import { pairedSum, ratio, summarize, type Summary } from "./summarize.ts";

const HERE = new URL(".", import.meta.url).pathname;

/** How long to sample one (job, implementation): until `budgetS` is spent and `minN` taken. */
export interface SampleBudget {
  budgetS: number;
  minN: number;
  maxN: number;
  warmup: number;
}

/** Options of `runEdgeSection`. */
export interface EdgeSectionOptions {
  fixtures: BenchFixtures;
  python: string;
  /** Intra-op threads for every implementation (ORT, PyTorch). */
  threads: number;
  /** Per (job, implementation), summed over rounds. */
  budget: SampleBudget;
  rounds: number;
  models: string[];
  engines: EngineKind[];
  log: (line: string) => void;
}

/** Wall-clock ms per stage and end to end, plus process CPU ms of decode and end to end (CPU
 * time is what load from other users of a shared machine distorts least). */
const STAGES = ["decode", "preprocess", "inference", "total", "cpuDecode", "cpuTotal"] as const;
type Stage = typeof STAGES[number];
type Stages = Record<Stage, number[]>;

/** Per-stage summaries of one implementation on one job (ms). */
export type StageSummaries = Record<Stage, Summary>;

/** One model on one input. */
export interface EdgeJobResult {
  model: string;
  format: "jpeg" | "png";
  image: { path: string; bytes: number; width: number; height: number };
  /** ours_native, ours_web, pillow_ort_native, pillow_torch_eager -> stage summaries. */
  impls: Record<string, StageSummaries>;
  /** Ratios of medians (ours / peer); below 1 means ours is faster. */
  ratios: Record<string, number | null>;
  checks: {
    /** max |our tensor - Pillow/torchvision tensor| (different JPEG IDCTs differ slightly). */
    tensorMaxAbsDiff: number;
    /** max |our native logits - onnxruntime-node logits| on Pillow's tensor (same model?). */
    logitsMaxAbsDiff: number | null;
  };
}

/** The `edge` section's result. */
export interface EdgeSectionResult {
  threads: number;
  rounds: number;
  budget: SampleBudget;
  jobs: EdgeJobResult[];
  goals: { name: string; target: string; value: number | null; pass: boolean | null }[];
}

interface Job {
  key: string;
  modelKey: string;
  format: "jpeg" | "png";
  imagePath: string;
  bytes: Uint8Array;
  tensorPath: string;
}

const emptyStages = (): Stages =>
  Object.fromEntries(STAGES.map((k) => [k, [] as number[]])) as Stages;

function append(into: Stages, from: Partial<Stages>): void {
  for (const k of STAGES) into[k].push(...(from[k] ?? []));
}

/** Process CPU time (user + system) in ms. */
function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

async function sampleLoop(
  budget: SampleBudget,
  budgetS: number,
  step: () => Promise<Partial<Record<Stage, number>>>,
): Promise<Stages> {
  for (let i = 0; i < budget.warmup; i++) await step();
  const s = emptyStages();
  const start = performance.now();
  let n = 0;
  while (n < budget.maxN && (n < budget.minN || performance.now() - start < budgetS * 1000)) {
    n++;
    const r = await step();
    for (const k of STAGES) if (r[k] !== undefined) s[k].push(r[k]);
  }
  return s;
}

/** Ours: edge's classifyImages (decode, preprocess, queue, engine, softmax/top-K) per image. */
async function measureOurs(
  jobs: Job[],
  engine: EngineKind,
  opts: EdgeSectionOptions,
  budgetS: number,
  logits: Map<string, Float32Array>,
): Promise<Map<string, Stages>> {
  const out = new Map<string, Stages>();
  for (const modelKey of [...new Set(jobs.map((j) => j.modelKey))]) {
    const served = await loadServedModel(await Deno.readFile(opts.fixtures.models[modelKey]), {
      name: modelKey,
      engine,
      threads: opts.threads,
      maxBatch: 1,
      batchWaitMs: 0,
      queueLimit: 64,
    });
    try {
      for (const job of jobs.filter((j) => j.modelKey === modelKey)) {
        if (engine === "native" && !logits.has(job.key)) {
          const pillow = await readF32(job.tensorPath);
          logits.set(job.key, (await served.infer([pillow]))[0]);
        }
        const classifyOpts = { topK: 5, threshold: 0, maxPixels: 40_000_000, maxBytes: 1 << 26 };
        const clock = () => performance.now();
        const stages = await sampleLoop(opts.budget, budgetS, async () => {
          const c0 = cpuMs();
          const t0 = performance.now();
          const [r] = await classifyImages(served, [job.bytes], classifyOpts, clock);
          const total = performance.now() - t0;
          const cpuTotal = cpuMs() - c0;
          if (!("timing_ms" in r)) throw new Error(`${job.key}: ${r.message}`);
          return { ...r.timing_ms, total, cpuTotal };
        });
        // Decode's CPU time needs a call of its own (classifyImages reports wall time only);
        // a separate, shorter loop so the main samples stay whole requests.
        const decodeBudget = { ...opts.budget, minN: Math.min(opts.budget.minN, 20), warmup: 1 };
        const decodeOnly = await sampleLoop(decodeBudget, budgetS / 4, async () => {
          const c0 = cpuMs();
          await decodeImage(job.bytes);
          return { cpuDecode: cpuMs() - c0 };
        });
        stages.cpuDecode = decodeOnly.cpuDecode;
        out.set(job.key, stages);
      }
    } finally {
      await served.release();
    }
  }
  return out;
}

async function readF32(path: string): Promise<Float32Array> {
  const b = await Deno.readFile(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const stageSummaries = (s: Stages): StageSummaries =>
  Object.fromEntries(STAGES.map((k) => [k, summarize(s[k])])) as StageSummaries;

/** Runs the edge section (see the module doc). */
export async function runEdgeSection(opts: EdgeSectionOptions): Promise<EdgeSectionResult> {
  const { fixtures, python, log } = opts;
  const tmp = await Deno.makeTempDir({ prefix: "bench_edge_" });
  const jobs: Job[] = [];
  for (const modelKey of opts.models) {
    for (const [format, imagePath] of [["jpeg", fixtures.photoJpeg], ["png", fixtures.photoPng]]) {
      const key = `${modelKey}/${format}`;
      jobs.push({
        key,
        modelKey,
        format: format as "jpeg" | "png",
        imagePath,
        bytes: await Deno.readFile(imagePath),
        tensorPath: `${tmp}/${modelKey}_${format}.f32`,
      });
    }
  }
  const ortEntry = new URL(import.meta.resolve("onnxruntime-node")).pathname;
  const budgetS = opts.budget.budgetS / opts.rounds;
  const peerSpec = (extra: Record<string, unknown>) => ({
    threads: opts.threads,
    budget_s: budgetS,
    min_n: Math.ceil(opts.budget.minN / opts.rounds),
    max_n: Math.ceil(opts.budget.maxN / opts.rounds),
    warmup: opts.budget.warmup,
    ...extra,
  });

  const torch = new Map(jobs.map((j) => [j.key, emptyStages()]));
  const pyCpuPreprocess = new Map(jobs.map((j) => [j.key, [] as number[]]));
  const ortInference = new Map(jobs.map((j) => [j.key, [] as number[]]));
  const ortCpu = new Map(jobs.map((j) => [j.key, [] as number[]]));
  const ortLogits = new Map<string, number[]>();
  const ours = new Map(
    opts.engines.map((e) => [e, new Map(jobs.map((j) => [j.key, emptyStages()]))]),
  );
  const ourLogits = new Map<string, Float32Array>();

  const runPeers = async () => {
    log(`  edge: Pillow + torchvision + PyTorch eager (${python})`);
    const py = await runJsonProcess<Record<string, Record<string, number[]>>>(
      python,
      [`${HERE}peer_torch.py`, "edge"],
      peerSpec({
        jobs: jobs.map((j) => {
          const m = benchModel(j.modelKey);
          return {
            key: j.key,
            arch: m.arch,
            size: m.size,
            num_classes: m.numClasses,
            preprocess: m.preprocess,
            image: j.imagePath,
            tensor_out: j.tensorPath,
          };
        }),
      }),
    );
    for (const j of jobs) {
      const r = py[j.key];
      append(torch.get(j.key)!, { ...r, cpuDecode: r.cpu_decode, cpuTotal: r.cpu_total });
      pyCpuPreprocess.get(j.key)!.push(...r.cpu_preprocess);
    }
    log("  edge: onnxruntime-node (native ORT) on Pillow's tensors (node)");
    const node = await runJsonProcess<
      Record<string, { inference: number[]; cpu_inference: number[]; logits: number[] }>
    >(
      "node",
      [`${HERE}peer_ort_node.mjs`],
      peerSpec({
        ort_entry: ortEntry,
        jobs: jobs.map((j) => {
          const m = benchModel(j.modelKey);
          return {
            key: j.key,
            model: fixtures.models[j.modelKey],
            tensor: j.tensorPath,
            dims: [1, 3, m.size, m.size],
          };
        }),
      }),
    );
    for (const j of jobs) {
      ortInference.get(j.key)!.push(...node[j.key].inference);
      ortCpu.get(j.key)!.push(...node[j.key].cpu_inference);
      ortLogits.set(j.key, node[j.key].logits);
    }
  };
  const runOurs = async () => {
    for (const engine of opts.engines) {
      log(`  edge: ours, ${engine} engine`);
      const got = await measureOurs(jobs, engine, opts, budgetS, ourLogits);
      for (const [k, s] of got) append(ours.get(engine)!.get(k)!, s);
    }
  };
  try {
    for (let round = 0; round < opts.rounds; round++) {
      // Peers must go first in round 0: they write the Pillow tensors ours is checked against.
      if (round % 2 === 0) {
        await runPeers();
        await runOurs();
      } else {
        await runOurs();
        await runPeers();
      }
    }

    const results: EdgeJobResult[] = [];
    for (const j of jobs) {
      const impls: Record<string, StageSummaries> = {};
      for (const e of opts.engines) impls[`ours_${e}`] = stageSummaries(ours.get(e)!.get(j.key)!);
      const py = torch.get(j.key)!;
      const ortInf = ortInference.get(j.key)!;
      impls.pillow_ort_native = stageSummaries({
        decode: py.decode,
        preprocess: py.preprocess,
        inference: ortInf,
        total: pairedSum([py.decode, py.preprocess, ortInf]),
        cpuDecode: py.cpuDecode,
        cpuTotal: pairedSum([py.cpuDecode, pyCpuPreprocess.get(j.key)!, ortCpu.get(j.key)!]),
      });
      impls.pillow_torch_eager = stageSummaries(py);
      const med = (impl: string, stage: Stage) => impls[impl]?.[stage].median;
      const m = benchModel(j.modelKey);
      const ourTensor = applyPreprocess(m.preprocess, await decodeImage(j.bytes));
      const pillowTensor = await readF32(j.tensorPath);
      const ol = ourLogits.get(j.key);
      const img = await decodeImage(j.bytes);
      results.push({
        model: j.modelKey,
        format: j.format,
        image: { path: j.imagePath, bytes: j.bytes.length, width: img.width, height: img.height },
        impls,
        ratios: {
          native_vs_pillow_ort: ratio(
            med("ours_native", "total"),
            med("pillow_ort_native", "total"),
          ),
          web_vs_native: ratio(med("ours_web", "total"), med("ours_native", "total")),
          web_vs_native_inference: ratio(
            med("ours_web", "inference"),
            med("ours_native", "inference"),
          ),
          native_vs_pillow_ort_cpu: ratio(
            med("ours_native", "cpuTotal"),
            med("pillow_ort_native", "cpuTotal"),
          ),
          native_vs_torch: ratio(med("ours_native", "total"), med("pillow_torch_eager", "total")),
          web_vs_native_cpu: ratio(med("ours_web", "cpuTotal"), med("ours_native", "cpuTotal")),
          decode_vs_pillow: ratio(
            med(`ours_${opts.engines[0]}`, "decode"),
            med("pillow_torch_eager", "decode"),
          ),
          decode_vs_pillow_cpu: ratio(
            med(`ours_${opts.engines[0]}`, "cpuDecode"),
            med("pillow_torch_eager", "cpuDecode"),
          ),
          preprocess_vs_torchvision: ratio(
            med(`ours_${opts.engines[0]}`, "preprocess"),
            med("pillow_torch_eager", "preprocess"),
          ),
        },
        checks: {
          tensorMaxAbsDiff: Number(maxAbsDiff(ourTensor, pillowTensor).toPrecision(3)),
          logitsMaxAbsDiff: ol && ortLogits.has(j.key)
            ? Number(maxAbsDiff(ol, ortLogits.get(j.key)!).toPrecision(3))
            : null,
        },
      });
    }
    return {
      threads: opts.threads,
      rounds: opts.rounds,
      budget: opts.budget,
      jobs: results,
      goals: edgeGoals(results),
    };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** The goals for this section, evaluated on the worst job. */
export function edgeGoals(jobs: EdgeJobResult[]): EdgeSectionResult["goals"] {
  const worst = (pick: (j: EdgeJobResult) => number | null | undefined) => {
    const vals = jobs.map(pick).filter((v): v is number => typeof v === "number");
    return vals.length ? Math.max(...vals) : null;
  };
  const goal = (name: string, target: string, value: number | null, limit: number | null) => ({
    name,
    target,
    value,
    pass: value === null || limit === null ? null : value <= limit,
  });
  return [
    goal(
      "native end-to-end / (Pillow + native ORT), worst job",
      "<= 1.1",
      worst((j) => j.ratios.native_vs_pillow_ort),
      1.1,
    ),
    goal(
      "same, by process CPU time",
      "<= 1.1",
      worst((j) => j.ratios.native_vs_pillow_ort_cpu),
      1.1,
    ),
    goal(
      "JPEG decode / Pillow decode, worst model",
      "<= 2",
      worst((j) => (j.format === "jpeg" ? j.ratios.decode_vs_pillow : null)),
      2,
    ),
    goal(
      "same, by process CPU time",
      "<= 2",
      worst((j) => (j.format === "jpeg" ? j.ratios.decode_vs_pillow_cpu : null)),
      2,
    ),
    goal(
      "web / native end-to-end, worst job (reported, no target)",
      "report",
      worst((j) => j.ratios.web_vs_native),
      null,
    ),
  ];
}
