/**
 * The `http` section: the edge server (Hono on Deno.serve, `edge/main.ts` in a subprocess) loaded
 * by `wrk` on 127.0.0.1 with POST /v1/classify, at several concurrencies, on both engines, and
 * with micro-batching off (MAX_BATCH=1) and on (MAX_BATCH=8, BATCH_WAIT_MS=2).
 * @module
 */
import type { BenchFixtures } from "./bench_fixtures.ts";
import { type EdgeServer, spawnEdgeServer, waitReady } from "./edge_server.ts";
import { profileRequest, type RequestProfile } from "./profile_request.ts";
import { runWrk, type WrkResult } from "./run_wrk.ts";

/** One server configuration and the concurrencies it is loaded at. */
export interface HttpScenario {
  name: string;
  model: string;
  payload: "wafer_png" | "photo_jpeg";
  engine: "native" | "web";
  maxBatch: number;
  batchWaitMs: number;
  concurrency: number[];
}

/** SimpleCNN 32 on a 64 px wafer-map PNG (the served use case), both engines, batching off and
 * on; ResNet18 224 on the 640x427 JPEG, batching off and on. */
export const HTTP_SCENARIOS: readonly HttpScenario[] = [
  {
    name: "simple_cnn_32 native",
    model: "simple_cnn_32",
    payload: "wafer_png",
    engine: "native",
    maxBatch: 1,
    batchWaitMs: 0,
    concurrency: [1, 8, 32],
  },
  {
    name: "simple_cnn_32 web",
    model: "simple_cnn_32",
    payload: "wafer_png",
    engine: "web",
    maxBatch: 1,
    batchWaitMs: 0,
    concurrency: [1, 8, 32],
  },
  {
    name: "simple_cnn_32 native batch8/2ms",
    model: "simple_cnn_32",
    payload: "wafer_png",
    engine: "native",
    maxBatch: 8,
    batchWaitMs: 2,
    concurrency: [8, 32],
  },
  {
    name: "resnet18_224 native",
    model: "resnet18_224",
    payload: "photo_jpeg",
    engine: "native",
    maxBatch: 1,
    batchWaitMs: 0,
    concurrency: [8],
  },
  {
    name: "resnet18_224 native batch8/2ms",
    model: "resnet18_224",
    payload: "photo_jpeg",
    engine: "native",
    maxBatch: 8,
    batchWaitMs: 2,
    concurrency: [8],
  },
];

/** Options of `runHttpSection`. */
export interface HttpSectionOptions {
  fixtures: BenchFixtures;
  /** EDGE_THREADS of the server; undefined = its default. */
  threads?: number;
  durationS: number;
  /** A short unrecorded wrk run before each scenario (JIT, caches). */
  warmupS: number;
  scenarios: readonly HttpScenario[];
  /** Iterations of the in-process per-request profile (SimpleCNN 32, wafer PNG); 0 = skip. */
  profileIterations: number;
  log: (line: string) => void;
}

/** One wrk run of one scenario. */
export interface HttpRun extends WrkResult {
  /** Engine threads the server reported at /v1/model. */
  threads: number;
  /** Server process CPU time (user + system, from /proc) per completed request, ms; null where
   * /proc is missing. Load-independent: 1000 / cpuMsPerRequest is the req/s one idle core
   * would give when the server uses one thread. */
  serverCpuMsPerRequest: number | null;
  /** Server CPU time / wall time during the run: ~1 = one core kept busy. */
  serverCoresBusy: number | null;
  scenario: string;
  model: string;
  payload: string;
  payloadBytes: number;
  engine: string;
  maxBatch: number;
  batchWaitMs: number;
}

/** The `http` section's result. */
export interface HttpSectionResult {
  /** EDGE_THREADS asked for, or "server default". */
  threads: number | "server default";
  durationS: number;
  runs: HttpRun[];
  /** Server-side cost of one SimpleCNN 32 request by layer, in process, both engines. */
  profile: Record<string, RequestProfile>;
  goals: { name: string; target: string; value: number | null; pass: boolean | null }[];
}

/** CPU time (user + system) of process `pid` in ms, from /proc/<pid>/stat; null if unreadable. */
export function processCpuMs(pid: number, clockTicksPerS = 100): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after "(comm)": state is field 3, utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / clockTicksPerS;
  } catch {
    return null;
  }
}

/** Runs every scenario: start the server, warm it, one wrk run per concurrency, stop it. */
export async function runHttpSection(opts: HttpSectionOptions): Promise<HttpSectionResult> {
  const runs: HttpRun[] = [];
  for (const sc of opts.scenarios) {
    const bodyPath = sc.payload === "wafer_png" ? opts.fixtures.waferPng : opts.fixtures.photoJpeg;
    const payloadBytes = (await Deno.stat(bodyPath)).size;
    let server: EdgeServer | undefined;
    try {
      server = spawnEdgeServer({
        modelPath: opts.fixtures.models[sc.model],
        engine: sc.engine,
        threads: opts.threads,
        env: {
          MAX_BATCH: String(sc.maxBatch),
          BATCH_WAIT_MS: String(sc.batchWaitMs),
          QUEUE_LIMIT: "256",
        },
      });
      await waitReady(server);
      const info = await (await fetch(`${server.url}/v1/model`)).json();
      const url = `${server.url}/v1/classify`;
      if (opts.warmupS > 0) {
        await runWrk(url, { connections: 8, durationS: opts.warmupS, bodyPath });
      }
      for (const c of sc.concurrency) {
        opts.log(`  http: ${sc.name}, c=${c}, ${opts.durationS} s`);
        const cpu0 = processCpuMs(server.child.pid);
        const r = await runWrk(url, { connections: c, durationS: opts.durationS, bodyPath });
        const cpu1 = processCpuMs(server.child.pid);
        const cpu = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
        runs.push({
          scenario: sc.name,
          model: sc.model,
          payload: sc.payload,
          payloadBytes,
          engine: sc.engine,
          threads: Number(info.threads),
          maxBatch: sc.maxBatch,
          batchWaitMs: sc.batchWaitMs,
          serverCpuMsPerRequest: cpu === null || r.requests === 0
            ? null
            : Number((cpu / r.requests).toPrecision(3)),
          serverCoresBusy: cpu === null ? null : Number((cpu / 1000 / r.durationS).toPrecision(3)),
          ...r,
        });
      }
    } finally {
      await server?.stop();
    }
  }
  const profile: Record<string, RequestProfile> = {};
  if (opts.profileIterations > 0) {
    for (const engine of ["native", "web"] as const) {
      opts.log(`  http: in-process request profile, simple_cnn_32 ${engine}`);
      profile[engine] = await profileRequest(
        await Deno.readFile(opts.fixtures.models.simple_cnn_32),
        await Deno.readFile(opts.fixtures.waferPng),
        engine,
        opts.profileIterations,
      );
    }
  }
  return {
    threads: opts.threads ?? "server default",
    durationS: opts.durationS,
    runs,
    profile,
    goals: httpGoals(runs),
  };
}

/** The goal: >= 2000 req/s for SimpleCNN 32 at c=8 on native, with no errors. */
export function httpGoals(runs: HttpRun[]): HttpSectionResult["goals"] {
  const r = runs.find((x) =>
    x.model === "simple_cnn_32" && x.engine === "native" && x.maxBatch === 1 &&
    x.connections === 8
  );
  const errors = r
    ? r.non2xx + r.socketErrors.connect + r.socketErrors.read + r.socketErrors.write +
      r.socketErrors.timeout
    : null;
  return [
    {
      name: "simple_cnn_32 native c=8 req/s (batching off)",
      target: ">= 2000",
      value: r ? r.reqPerS : null,
      pass: r ? r.reqPerS >= 2000 : null,
    },
    {
      name: "same, projected from server CPU per request (1000 / cpu ms/req)",
      target: ">= 2000",
      value: r?.serverCpuMsPerRequest ? Math.round(1000 / r.serverCpuMsPerRequest) : null,
      pass: r?.serverCpuMsPerRequest ? 1000 / r.serverCpuMsPerRequest >= 2000 : null,
    },
    {
      name: "simple_cnn_32 native c=8 errors",
      target: "0",
      value: errors,
      pass: errors === null ? null : errors === 0,
    },
  ];
}
