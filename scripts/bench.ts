/**
 * `deno task bench [edge|http|cold|train ...] [flags]`: edgeclass against PyTorch and native
 * ONNX Runtime, side by side, in the same run. With no section names, runs all four.
 *
 *   edge   decode + preprocess + inference at batch 1 in process: ours (web, native engines) vs
 *          Pillow + torchvision + PyTorch eager, and Pillow + native ORT (onnxruntime-node)
 *   http   edge/main.ts loaded by wrk on 127.0.0.1 at c=1/8/32, both engines, batching off/on
 *   cold   process spawn -> first 200 from /v1/classify, both engines, SimpleCNN and ResNet18
 *   train  training img/s, tfjs vs PyTorch (scripts/bench_train.ts when present)
 *
 * Flags: --quick (short budgets, a smoke run), --duration S (wrk seconds per run, default 10),
 * --threads N (intra-op threads of every engine and of torch; default: 1 in edge, so every
 * implementation gets one core, and the server's own default, min(cores, 4), in http and cold),
 * --rounds N (edge, default 2),
 * --budget S (edge seconds per implementation and job, default 4), --reps N (cold, default 5),
 * --out PATH (default bench/results.json), --python PATH (default /usr/bin/python3).
 *
 * Results are merged into the JSON file section by section (a section run alone replaces only
 * its own entry), with machine facts and the load average before and after each section.
 * @module
 */
import { ensureFixtures } from "./bench/bench_fixtures.ts";
import { BENCH_MODELS } from "./bench/bench_models.ts";
import { runColdSection } from "./bench/cold_section.ts";
import { runEdgeSection } from "./bench/edge_section.ts";
import { formatCold, formatEdge, formatHttp, formatTrain } from "./bench/format_tables.ts";
import { HTTP_SCENARIOS, runHttpSection } from "./bench/http_section.ts";
import { loadAverage, machineInfo } from "./bench/machine_info.ts";
import { runTrainSection } from "./bench/train_section.ts";

const SECTIONS = ["edge", "http", "cold", "train"] as const;
type Section = typeof SECTIONS[number];

/** Parsed command line of bench.ts. */
export interface BenchArgs {
  sections: Section[];
  quick: boolean;
  durationS: number;
  /** undefined = per-section default (see the module doc). */
  threads: number | undefined;
  rounds: number;
  budgetS: number;
  reps: number;
  out: string;
  python: string;
}

/** Parses bench.ts arguments; throws a TypeError naming the bad flag or section. */
export function parseBenchArgs(args: string[]): BenchArgs {
  const quick = args.includes("--quick");
  const a: BenchArgs = {
    sections: [],
    quick,
    durationS: quick ? 2 : 10,
    threads: undefined,
    rounds: 2,
    budgetS: quick ? 0.6 : 4,
    reps: quick ? 2 : 5,
    out: "bench/results.json",
    python: "/usr/bin/python3",
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new TypeError(`${flag} needs a value`);
      return v;
    };
    const num = (min: number) => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < min) throw new TypeError(`${flag} must be a number >= ${min}`);
      return v;
    };
    const int = (min: number) => {
      const v = num(min);
      if (!Number.isInteger(v)) throw new TypeError(`${flag} must be an integer`);
      return v;
    };
    if (flag === "--quick") continue;
    else if (flag === "--duration") a.durationS = int(1);
    else if (flag === "--threads") a.threads = int(1);
    else if (flag === "--rounds") a.rounds = int(1);
    else if (flag === "--budget") a.budgetS = num(0.05);
    else if (flag === "--reps") a.reps = int(1);
    else if (flag === "--out") a.out = value();
    else if (flag === "--python") a.python = value();
    else if ((SECTIONS as readonly string[]).includes(flag)) a.sections.push(flag as Section);
    else {
      throw new TypeError(
        `unknown argument '${flag}' (sections: ${SECTIONS.join(", ")}; flags: --quick, ` +
          "--duration S, --threads N, --rounds N, --budget S, --reps N, --out PATH, --python PATH)",
      );
    }
  }
  if (a.sections.length === 0) a.sections = [...SECTIONS];
  return a;
}

interface ResultsFile {
  machine: unknown;
  sections: Record<string, unknown>;
}

async function readResults(path: string): Promise<ResultsFile> {
  try {
    const j = JSON.parse(await Deno.readTextFile(path));
    if (j && typeof j === "object" && j.sections) return j;
  } catch { /* missing or not ours: start over */ }
  return { machine: null, sections: {} };
}

async function main(): Promise<void> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(Deno.args);
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    Deno.exit(2);
  }
  const log = (line: string) => console.error(line);
  const outDir = args.out.includes("/") ? args.out.slice(0, args.out.lastIndexOf("/")) : ".";
  const fixtures = await ensureFixtures(`${outDir}/fixtures`, args.python);
  const machine = await machineInfo(args.python);
  log(
    `bench: ${machine.cores} cores, ${machine.cpuModel}, load ${machine.loadavg1}, ` +
      `sections ${args.sections.join(", ")}${args.quick ? " (quick)" : ""}`,
  );
  const printed: string[] = [];
  const results = await readResults(args.out);
  results.machine = machine;
  for (const section of args.sections) {
    const started = performance.now();
    const loadBefore = loadAverage();
    log(`bench: ${section}`);
    let result: unknown;
    let text: string;
    if (section === "edge") {
      const r = await runEdgeSection({
        fixtures,
        python: args.python,
        threads: args.threads ?? 1,
        budget: { budgetS: args.budgetS, minN: args.quick ? 4 : 20, maxN: 2000, warmup: 3 },
        rounds: args.rounds,
        models: BENCH_MODELS.map((m) => m.key),
        engines: ["native", "web"],
        log,
      });
      [result, text] = [r, formatEdge(r)];
    } else if (section === "http") {
      const r = await runHttpSection({
        fixtures,
        threads: args.threads,
        durationS: args.durationS,
        warmupS: args.quick ? 1 : 2,
        scenarios: HTTP_SCENARIOS,
        profileIterations: args.quick ? 200 : 1500,
        log,
      });
      [result, text] = [r, formatHttp(r)];
    } else if (section === "cold") {
      const r = await runColdSection({
        fixtures,
        threads: args.threads,
        reps: args.reps,
        engines: ["native", "web"],
        models: [
          { model: "simple_cnn_32", payload: "wafer_png" },
          { model: "resnet18_224", payload: "photo_jpeg" },
        ],
        log,
      });
      [result, text] = [r, formatCold(r)];
    } else {
      const r = await runTrainSection({
        python: args.python,
        threads: args.threads ?? 1,
        budgetS: args.quick ? 2 : 6,
        benchTrainJson: `${outDir}/train.json`,
        // tfjs cpu is left out: one step takes minutes on a loaded 2-core machine.
        benchTrainArgs: args.quick
          ? [
            "--rounds",
            "1",
            "--steps",
            "1",
            "--models",
            "simple_cnn",
            "--variants",
            "torch,wasm_simd",
          ]
          : ["--rounds", "3", "--steps", "3", "--variants", "torch,torch_1t,wasm,wasm_simd"],
        benchTrainTimeoutS: args.quick ? 120 : 600,
        backends: ["wasm", "cpu"],
        log,
      });
      [result, text] = [r, formatTrain(r)];
    }
    results.sections[section] = {
      measuredAt: new Date().toISOString(),
      elapsedS: Math.round((performance.now() - started) / 100) / 10,
      loadavg1Before: loadBefore,
      loadavg1After: loadAverage(),
      quick: args.quick,
      result,
    };
    printed.push(text);
    console.log(`\n${text}\n`);
    await Deno.mkdir(outDir, { recursive: true });
    await Deno.writeTextFile(args.out, JSON.stringify(results, null, 2) + "\n");
  }
  log(`bench: wrote ${args.out}`);
}

if (import.meta.main) await main();
