/**
 * The `cold` section: from spawning `edge/main.ts` to the first 200 from POST /v1/classify, per
 * engine and model, several times. The client polls every few ms, so connection refused (not
 * listening yet) and 503 not_ready (model loading) are both part of the measured time.
 * @module
 */
import type { BenchFixtures } from "./bench_fixtures.ts";
import { type EdgeServer, spawnEdgeServer } from "./edge_server.ts";
import { summarize, type Summary } from "./summarize.ts";

/** Options of `runColdSection`. */
export interface ColdSectionOptions {
  fixtures: BenchFixtures;
  /** EDGE_THREADS of the server; undefined = its default. */
  threads?: number;
  reps: number;
  engines: ("native" | "web")[];
  /** [model key, payload] pairs. */
  models: { model: string; payload: "wafer_png" | "photo_jpeg" }[];
  log: (line: string) => void;
}

/** Cold starts of one engine and model (ms). */
export interface ColdResult {
  engine: string;
  model: string;
  payload: string;
  /** Spawn -> first HTTP answer of any status (the server listens). */
  firstResponseMs: number[];
  /** Spawn -> first 200 from /v1/classify. */
  firstOkMs: number[];
  firstOk: Summary;
  /** Medians of the phases, from the server's log lines as they arrived (ms): spawn ->
   * "listening" (Deno start + module loading), -> "model ready" (read, check, engine start,
   * warm-up run; `loadMs` is the server's own count of it), -> first 200 (decoder warm-up, then
   * the first request). */
  phasesMs: { toListening: number; toModelReady: number; toFirstOk: number; loadMs: number };
}

/** The `cold` section's result. */
export interface ColdSectionResult {
  threads: number | "server default";
  reps: number;
  results: ColdResult[];
  goals: { name: string; target: string; value: number | null; pass: boolean | null }[];
}

interface ColdStart {
  firstResponse: number;
  firstOk: number;
  listening: number;
  modelReady: number;
  loadMs: number;
}

/** One cold start: spawn, poll POST /v1/classify until 200, stop. */
async function coldStart(
  opts: ColdSectionOptions,
  engine: "native" | "web",
  model: string,
  body: Uint8Array,
): Promise<ColdStart> {
  let server: EdgeServer | undefined;
  const seen: Record<string, number> = {};
  let loadMs = NaN;
  try {
    server = spawnEdgeServer({
      modelPath: opts.fixtures.models[model],
      engine,
      threads: opts.threads,
      onLog: (r, at) => {
        if (typeof r.msg === "string") seen[r.msg] ??= at;
        if (r.msg === "model ready") loadMs = Number(r.load_ms);
      },
    });
    const t0 = server.spawnedAt;
    let exited = false;
    server.child.status.then(() => (exited = true));
    let firstResponse: number | undefined;
    const deadline = server.spawnedAt + 120_000;
    while (performance.now() < deadline) {
      if (exited) throw new Error(`edge server exited during startup:\n${server.stderr()}`);
      try {
        const res = await fetch(`${server.url}/v1/classify`, {
          method: "POST",
          body: body as Uint8Array<ArrayBuffer>,
        });
        await res.body?.cancel();
        const now = performance.now() - server.spawnedAt;
        firstResponse ??= now;
        if (res.status === 200) {
          return {
            firstResponse,
            firstOk: now,
            listening: (seen["listening"] ?? NaN) - t0,
            modelReady: (seen["model ready"] ?? NaN) - t0,
            loadMs,
          };
        }
        if (res.status !== 503) throw new Error(`/v1/classify answered ${res.status}`);
      } catch (e) {
        if (!(e instanceof TypeError)) throw e; // TypeError: connection refused, keep polling
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`no 200 within 120 s:\n${server.stderr()}`);
  } finally {
    await server?.stop();
  }
}

/** Runs the cold section: one unrecorded priming start (module cache), then `reps` per pair. */
export async function runColdSection(opts: ColdSectionOptions): Promise<ColdSectionResult> {
  const payload = async (p: "wafer_png" | "photo_jpeg") =>
    await Deno.readFile(p === "wafer_png" ? opts.fixtures.waferPng : opts.fixtures.photoJpeg);
  const first = opts.models[0];
  await coldStart(opts, opts.engines[0], first.model, await payload(first.payload));
  const results: ColdResult[] = [];
  for (const engine of opts.engines) {
    for (const m of opts.models) {
      opts.log(`  cold: ${engine} ${m.model} x${opts.reps}`);
      const body = await payload(m.payload);
      const starts: ColdStart[] = [];
      for (let i = 0; i < opts.reps; i++) starts.push(await coldStart(opts, engine, m.model, body));
      const r1 = (v: number) => Math.round(v * 10) / 10;
      const med = (pick: (c: ColdStart) => number) => {
        const v = starts.map(pick).filter(Number.isFinite);
        return v.length ? r1(summarize(v).median) : NaN;
      };
      const firstResponseMs = starts.map((c) => r1(c.firstResponse));
      const firstOkMs = starts.map((c) => r1(c.firstOk));
      results.push({
        engine,
        model: m.model,
        payload: m.payload,
        firstResponseMs,
        firstOkMs,
        firstOk: summarize(firstOkMs),
        phasesMs: {
          toListening: med((c) => c.listening),
          toModelReady: med((c) => c.modelReady - c.listening),
          toFirstOk: med((c) => c.firstOk - c.modelReady),
          loadMs: med((c) => c.loadMs),
        },
      });
    }
  }
  return {
    threads: opts.threads ?? "server default",
    reps: opts.reps,
    results,
    goals: results.filter((r) => r.engine === "native").map((r) => ({
      name: `native cold start to first 200, median, ${r.model}`,
      target: "<= 300 ms",
      value: r.firstOk.median,
      pass: r.firstOk.median <= 300,
    })),
  };
}
