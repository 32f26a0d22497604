/**
 * Plain-text tables of bench results, as printed by `deno task bench` (and pasted in README).
 * @module
 */
import type { ColdSectionResult } from "./cold_section.ts";
import type { EdgeSectionResult } from "./edge_section.ts";
import type { HttpSectionResult } from "./http_section.ts";
import { type BenchTrainRow, trainGoals, type TrainSectionResult } from "./train_section.ts";

/** A goal line shared by every section. */
export interface Goal {
  name: string;
  target: string;
  value: number | null;
  pass: boolean | null;
}

/** Left-aligned first column, right-aligned others, columns separated by two spaces. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? "").length)));
  const line = (r: string[]) =>
    r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join("  ").trimEnd();
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)]
    .join("\n");
}

const f = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined ? "-" : v >= 100 ? v.toFixed(0) : v.toFixed(digits);

/** The goals as `PASS|FAIL|n/a  name: value (target)` lines. */
export function formatGoals(goals: Goal[]): string {
  return goals.map((g) => {
    const mark = g.pass === null ? "info" : g.pass ? "PASS" : "FAIL";
    return `  [${mark}] ${g.name}: ${f(g.value, 3)} (target ${g.target})`;
  }).join("\n");
}

/** Edge section: one row per (job, implementation), then ratios and checks per job. */
export function formatEdge(r: EdgeSectionResult): string {
  const rows: (string | number)[][] = [];
  for (const j of r.jobs) {
    for (const [impl, s] of Object.entries(j.impls)) {
      rows.push([
        `${j.model} ${j.format}`,
        impl,
        f(s.total.median),
        f(s.total.p90),
        f(s.total.p99),
        f(s.decode.median),
        f(s.preprocess.median),
        f(s.inference.median),
        f(s.cpuTotal.median),
        f(s.cpuDecode.median),
        s.total.n,
      ]);
    }
  }
  const ratios = r.jobs.map((j) => [
    `${j.model} ${j.format}`,
    f(j.ratios.native_vs_pillow_ort),
    f(j.ratios.native_vs_pillow_ort_cpu),
    f(j.ratios.native_vs_torch),
    f(j.ratios.web_vs_native),
    f(j.ratios.web_vs_native_cpu),
    f(j.ratios.web_vs_native_inference),
    f(j.ratios.decode_vs_pillow),
    f(j.ratios.decode_vs_pillow_cpu),
    f(j.ratios.preprocess_vs_torchvision),
    f(j.checks.tensorMaxAbsDiff, 4),
    j.checks.logitsMaxAbsDiff === null ? "-" : j.checks.logitsMaxAbsDiff.toExponential(1),
  ]);
  return [
    `edge: batch 1, in process, ${r.threads} intra-op thread(s); medians in ms (wall clock), ` +
    "cpu = process CPU time end to end, cpu dec = decode's CPU time",
    table(
      ["job", "impl", "total", "p90", "p99", "decode", "prep", "infer", "cpu", "cpu dec", "n"],
      rows,
    ),
    "",
    "ratios of medians (ours / peer; < 1 = ours faster) and checks",
    table(
      [
        "job",
        "nat/pil+ort",
        "(cpu)",
        "nat/torch",
        "web/nat",
        "(cpu)",
        "web/nat inf",
        "dec/Pillow",
        "(cpu)",
        "prep/tv",
        "tensor diff",
        "logit diff",
      ],
      ratios,
    ),
    formatGoals(r.goals),
  ].join("\n");
}

/** HTTP section: one row per wrk run. */
export function formatHttp(r: HttpSectionResult): string {
  return [
    `http: wrk on 127.0.0.1, POST /v1/classify, ${r.durationS} s per run, ` +
    `EDGE_THREADS ${r.threads} (thr: as the server reported); cpu ms/req = server process CPU per request, cores = its ` +
    "CPU / wall time, 1-core cap = 1000 / cpu ms/req (req/s if it had one idle core)",
    table(
      [
        "scenario",
        "payload",
        "thr",
        "c",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "non-2xx",
        "sock err",
        "cpu ms/req",
        "cores",
        "1-core cap",
      ],
      r.runs.map((x) => [
        x.scenario,
        `${x.payload} ${x.payloadBytes} B`,
        x.threads,
        x.connections,
        f(x.reqPerS, 1),
        f(x.latencyMs.p50),
        f(x.latencyMs.p90),
        f(x.latencyMs.p99),
        x.non2xx,
        x.socketErrors.connect + x.socketErrors.read + x.socketErrors.write +
        x.socketErrors.timeout,
        f(x.serverCpuMsPerRequest, 3),
        f(x.serverCoresBusy),
        x.serverCpuMsPerRequest ? f(1000 / x.serverCpuMsPerRequest, 0) : "-",
      ]),
    ),
    "",
    "in-process cost of one simple_cnn_32 wafer-PNG request by layer, 1 engine thread (mean " +
    "µs, wall clock and process CPU; a row includes the rows above it that it calls)",
    table(
      ["layer", ...Object.keys(r.profile).flatMap((e) => [`${e} wall`, `${e} cpu`])],
      Object.keys(Object.values(r.profile)[0]?.meanUs ?? {}).map((layer) => [
        layer,
        ...Object.values(r.profile).flatMap((p) => [f(p.meanUs[layer], 1), f(p.cpuUs[layer], 1)]),
      ]),
    ),
    formatGoals(r.goals),
  ].join("\n");
}

/** Cold section: one row per (engine, model). */
export function formatCold(r: ColdSectionResult): string {
  return [
    `cold: spawn -> first 200 from /v1/classify, ${r.reps} starts each, ms`,
    table(
      ["engine", "model", "median", "min", "max", "|", "listen", "+model", "+1st 200", "load_ms"],
      r.results.map((x) => [
        x.engine,
        x.model,
        f(x.firstOk.median, 0),
        f(x.firstOk.min, 0),
        f(x.firstOk.max, 0),
        "|",
        f(x.phasesMs.toListening, 0),
        f(x.phasesMs.toModelReady, 0),
        f(x.phasesMs.toFirstOk, 0),
        f(x.phasesMs.loadMs, 0),
      ]),
    ),
    "  phases (medians): spawn -> 'listening' log, -> 'model ready' log, -> first 200 " +
    "(decoder warm-up + first request); load_ms = server's own model load time",
    formatGoals(r.goals),
  ].join("\n");
}

/** Train section: the stand-in's rows, or the owner's JSON as it is. */
export function formatTrain(r: TrainSectionResult): string {
  if (r.source === "scripts/bench_train.ts") {
    const head = `train (scripts/bench_train.ts ${r.args.join(" ")})`;
    if (r.error) return `${head}: ${r.error}`;
    const rows = (r.data as { rows?: Record<string, unknown>[] })?.rows;
    if (!Array.isArray(rows)) return `${head}:\n${JSON.stringify(r.data, null, 2)}`;
    return [
      `${head}: images/s of AdamW training steps`,
      table(
        ["model", "size", "batch", "variant", "img/s", "x torch"],
        rows.map((x) => [
          String(x.model),
          String(x.size),
          String(x.batch),
          String(x.variant),
          f(Number(x.img_per_s), 1),
          f(x.ratio_vs_torch as number | null),
        ]),
      ),
      formatGoals(trainGoals(rows as unknown as BenchTrainRow[])),
    ].join("\n");
  }
  return [
    `train: images/s of SGD steps (median), ${r.source}${r.note ? `; ${r.note}` : ""}`,
    table(
      ["model", "batch", "impl", "img/s", "min", "max", "steps"],
      r.rows.map((x) => [
        x.model,
        x.batch,
        x.impl,
        f(x.imgPerS.median, 1),
        f(x.imgPerS.min, 1),
        f(x.imgPerS.max, 1),
        x.imgPerS.n,
      ]),
    ),
  ].join("\n");
}
