/**
 * Bounded soak of the edge server on loopback: starts `edge/main.ts` under deploy permissions
 * on 127.0.0.1, sends a fixed-duration mix of good and bad requests (from the hostile-input
 * corpus) at a fixed concurrency, then checks that queue overload is answered with 503 +
 * Retry-After. Writes `bench/soak.json` and exits 1 when a check fails.
 *
 *   deno task soak [--duration 60] [--concurrency 16] [--warmup 30] [--engine web|native]
 *                  [--model m.onnx] [--queue-limit N] [--out bench/soak.json]
 *
 * Checks: zero 5xx and zero dropped connections during the soak; RSS at the end within 10% of
 * RSS after warm-up (default: the first half of the run); a batch larger than QUEUE_LIMIT gets 503 `overloaded` with Retry-After;
 * a burst beyond the queue gets only 200 or 503 + Retry-After.
 *
 * Also exports `startEdge` (the server as a child process, with its pid for RSS), used by
 * tests/corpus_test.ts and tests/soak_short_test.ts.
 * @module
 */
import { Rng } from "../shared/rng.ts";
import {
  CORPUS_API_KEY,
  CORPUS_ENV,
  type CorpusCase,
  type HttpRequestSpec,
  makeCorpus,
} from "./make_corpus.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const MAIN = new URL("../edge/main.ts", import.meta.url).pathname;

/** A running edge server child process. */
export interface EdgeProcess {
  /** `http://127.0.0.1:<port>` once listening, "" if it never listened. */
  url: string;
  port: number;
  pid: number;
  /** Parsed JSON log lines printed so far. */
  logs: Record<string, unknown>[];
  stderr(): string;
  /** Exit code once exited, else null. */
  exitCode(): number | null;
  exited: Promise<number>;
  /** VmRSS of the server process in KiB (Linux /proc), or undefined when unavailable. */
  rssKiB(): number | undefined;
  /**
   * SIGTERM, then the exit code; SIGKILL after `graceMs` (default 10 s) if it has not exited
   * (a server whose event loop is blocked never runs its signal handler).
   */
  stop(graceMs?: number): Promise<number>;
}

/** Options of `startEdge`. */
export interface StartEdgeOptions {
  modelPath: string;
  /** EDGE_ENGINE (default "web": deploy permissions have no ffi for the native addon). */
  engine?: string;
  /** Extra env (PORT and LISTEN_HOST are set to 0 and 127.0.0.1). */
  env?: Record<string, string>;
  /** Give up waiting for /readyz after this long (default 90 s). */
  readyTimeoutMs?: number;
}

/** VmRSS of process `pid` in KiB, read from /proc; undefined where there is no /proc. */
export function readRssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts `edge/main.ts` as a subprocess with the deploy permissions (`--allow-net --allow-env
 * --allow-read=<model>`, plus `--allow-ffi` only for EDGE_ENGINE=native), waits until /readyz
 * is 200, and resolves. If it exits first or never gets ready, `url` is "" and the caller
 * reports `stderr()`.
 */
export async function startEdge(opts: StartEdgeOptions): Promise<EdgeProcess> {
  const engine = opts.engine ?? "web";
  const args = [
    "run",
    "--allow-net",
    "--allow-env",
    // The native addon is a .node file under node_modules: it needs ffi and wider reads.
    ...(engine === "native" ? ["--allow-ffi", "--allow-read"] : [`--allow-read=${opts.modelPath}`]),
    "--unstable-raw-imports",
    MAIN,
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: {
      ...opts.env,
      MODEL_PATH: opts.modelPath,
      EDGE_ENGINE: engine,
      PORT: "0",
      LISTEN_HOST: "127.0.0.1",
      NO_COLOR: "1",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const logs: Record<string, unknown>[] = [];
  let stderrText = "";
  let code: number | null = null;
  let onPort!: (port: number) => void;
  const portKnown = new Promise<number>((r) => (onPort = r));
  const readOut = (async () => {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const rec = JSON.parse(line);
          // Keep the log bounded during a long soak: requests are counted by the client.
          if (rec.msg !== "request" || rec.level !== "info") logs.push(rec);
          if (rec.msg === "listening") onPort(Number(rec.port));
        } catch { /* not a JSON line */ }
      }
    }
  })();
  const readErr = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      // Bounded too: the tail says why a process died.
      stderrText = (stderrText + chunk).slice(-100_000);
    }
  })();
  const exited = child.status.then(async (s) => {
    await Promise.all([readOut, readErr]);
    code = s.code;
    return s.code;
  });
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 90_000);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const port = await Promise.race([
    portKnown,
    exited.then(() => 0),
    new Promise<number>((r) => (timer = setTimeout(() => r(0), opts.readyTimeoutMs ?? 90_000))),
  ]);
  clearTimeout(timer);
  let url = port ? `http://127.0.0.1:${port}` : "";
  while (url) {
    if (code !== null || Date.now() > deadline) {
      url = "";
      break;
    }
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    await res?.body?.cancel();
    if (res?.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    pid: child.pid,
    logs,
    stderr: () => stderrText,
    exitCode: () => code,
    exited,
    rssKiB: () => readRssKiB(child.pid),
    stop: async (graceMs = 10_000) => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), graceMs)));
      const first = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (first === "late") {
        try {
          child.kill("SIGKILL");
        } catch { /* exited meanwhile */ }
      }
      return await exited;
    },
  };
}

/** Builds the tiny test model with PyTorch (scripts/make_tiny_onnx.py); returns its path. */
export async function makeSoakModel(dir: string): Promise<string> {
  const path = `${dir}/soak_tiny.onnx`;
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [`${ROOT}scripts/make_tiny_onnx.py`, "make", "--out", path, "--size", "32"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`make_tiny_onnx.py failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return path;
}

/** Options of `runSoak`. */
export interface SoakOptions {
  durationS: number;
  concurrency: number;
  /** Seconds of load before the RSS baseline is taken (inside `durationS`). */
  warmupS: number;
  engine: string;
  /** A model to serve; default: the tiny test model, built in a temp dir. */
  modelPath?: string;
  /** QUEUE_LIMIT of the server; default 2 * concurrency + 2 (never reached by the mix). */
  queueLimit?: number;
  seed?: number;
}

/** What `runSoak` measured, and whether each check passed (`failures` empty). */
export interface SoakReport {
  config: {
    duration_s: number;
    concurrency: number;
    warmup_s: number;
    engine: string;
    queue_limit: number;
    mix_cases: number;
    good_share: number;
  };
  requests: number;
  requests_per_s: number;
  status_counts: Record<string, number>;
  unexpected_status: number;
  server_errors_5xx: number;
  dropped_connections: number;
  latency_ms: { p50: number; p95: number; p99: number; max: number };
  rss_mib: { ready: number; after_warmup: number; end: number; max: number; growth_pct: number };
  /** RSS once a second during the soak, in MiB. */
  rss_series_mib: number[];
  overload: {
    batch_images: number;
    batch_status: number;
    batch_code: string | null;
    batch_retry_after: string | null;
    burst_requests: number;
    burst_status_counts: Record<string, number>;
    burst_503_without_retry_after: number;
  };
  healthz_after: number;
  exit_code: number;
  failures: string[];
}

interface MixItem {
  id: string;
  spec: HttpRequestSpec;
  body: Uint8Array | null;
  /** Expected status (the mix only holds cases with exactly one documented outcome). */
  status: number;
  good: boolean;
}

/** Good images take this share of the mix; the rest are hostile requests. */
const GOOD_SHARE = 0.7;
/**
 * Cases left out of the load mix: decoder denial-of-service cases (each one, while its bug
 * stands, freezes or bloats the server: the corpus test covers them), and cases that are slow
 * to decode, large on the wire, or depend on BATCH_MAX_FILES.
 */
const SOAK_SKIP_GROUPS = new Set(["dos"]);
const SOAK_SKIP = new Set([
  "image_big_3000_png",
  "image_black_4900x5000_png",
  "multipart_batch_too_many_files",
]);

async function loadMix(dir: string): Promise<MixItem[]> {
  const manifest = await makeCorpus(dir);
  const items: MixItem[] = [];
  for (const c of manifest.cases as CorpusCase[]) {
    if (c.request.kind !== "http" || c.expect.length !== 1) continue;
    if (SOAK_SKIP.has(c.id) || SOAK_SKIP_GROUPS.has(c.group)) continue;
    const status = c.expect[0].status;
    if (typeof status !== "number") continue;
    const body = c.request.body ? await Deno.readFile(`${dir}/files/${c.request.body}`) : null;
    if (body && body.length > 256 * 1024) continue;
    items.push({ id: c.id, spec: c.request, body, status, good: c.group === "image_ok" });
  }
  return items;
}

function send(url: string, item: MixItem): Promise<Response> {
  const headers = new Headers(item.spec.headers);
  if (item.spec.auth) headers.set("Authorization", `Bearer ${CORPUS_API_KEY}`);
  return fetch(`${url}${item.spec.path}`, {
    method: item.spec.method,
    headers,
    body: item.body as Uint8Array<ArrayBuffer> | null,
    signal: AbortSignal.timeout(60_000),
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, i)] * 10) / 10;
}

const mib = (kib: number | undefined) => Math.round(((kib ?? 0) / 1024) * 10) / 10;

/** Runs the soak end to end (server start to stop) and returns the report. */
export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const tmp = await Deno.makeTempDir({ prefix: "soak_" });
  const failures: string[] = [];
  try {
    const modelPath = opts.modelPath ?? await makeSoakModel(tmp);
    const mix = await loadMix(`${tmp}/corpus`);
    const good = mix.filter((m) => m.good);
    const bad = mix.filter((m) => !m.good);
    const queueLimit = opts.queueLimit ?? 2 * opts.concurrency + 2;
    const server = await startEdge({
      modelPath,
      engine: opts.engine,
      env: {
        ...CORPUS_ENV,
        QUEUE_LIMIT: String(queueLimit),
        // One batch larger than the queue must be admissible as files, to reach the queue.
        BATCH_MAX_FILES: String(queueLimit + 1),
      },
    });
    if (!server.url) {
      throw new Error(`edge server did not get ready:\n${server.stderr().slice(-3000)}`);
    }
    try {
      const rssReady = server.rssKiB();
      const statusCounts: Record<string, number> = {};
      const latencies: number[] = [];
      let unexpected = 0;
      let fiveXx = 0;
      let dropped = 0;
      let rssWarm: number | undefined;
      let rssMax = rssReady ?? 0;
      const t0 = performance.now();
      const end = t0 + opts.durationS * 1000;
      const warmEnd = t0 + opts.warmupS * 1000;
      const series: number[] = [];
      let ticks = 0;
      const sampler = setInterval(() => {
        const rss = server.rssKiB() ?? 0;
        if (ticks++ % 4 === 0) series.push(mib(rss));
        rssMax = Math.max(rssMax, rss);
        if (rssWarm === undefined && performance.now() >= warmEnd) rssWarm = rss;
      }, 250);
      const examples: string[] = [];
      const worker = async (w: number) => {
        const rng = new Rng((opts.seed ?? 1) * 1000 + w);
        while (performance.now() < end) {
          const pool = rng.next() < GOOD_SHARE ? good : bad;
          const item = pool[rng.int(0, pool.length - 1)];
          const started = performance.now();
          try {
            const res = await send(server.url, item);
            await res.arrayBuffer();
            latencies.push(performance.now() - started);
            statusCounts[res.status] = (statusCounts[res.status] ?? 0) + 1;
            if (res.status >= 500) fiveXx++;
            if (res.status !== item.status) {
              unexpected++;
              if (examples.length < 10) {
                examples.push(`${item.id}: got ${res.status}, want ${item.status}`);
              }
            }
          } catch (e) {
            dropped++;
            if (examples.length < 10) examples.push(`${item.id}: ${(e as Error).message}`);
          }
        }
      };
      await Promise.all(Array.from({ length: opts.concurrency }, (_, w) => worker(w)));
      clearInterval(sampler);
      const elapsedS = (performance.now() - t0) / 1000;
      const rssEnd = server.rssKiB() ?? 0;
      rssWarm ??= rssEnd;
      rssMax = Math.max(rssMax, rssEnd);

      // Overload: one batch with more images than the queue holds is refused whole.
      const png = good.find((m) => m.id === "image_rgb_png")?.body;
      if (!png) throw new Error("the corpus has no image_rgb_png");
      const form = new FormData();
      for (let i = 0; i <= queueLimit; i++) {
        form.append("image", new File([png as Uint8Array<ArrayBuffer>], `${i}.png`));
      }
      const batch = await fetch(`${server.url}/v1/classify/batch`, {
        method: "POST",
        body: form,
        headers: { Authorization: `Bearer ${CORPUS_API_KEY}` },
      });
      const batchBody = await batch.json().catch(() => ({}));
      // Then a burst of single images, four times the queue, all at once.
      const single = good.find((m) => m.id === "image_rgb_png")!;
      const burstCounts: Record<string, number> = {};
      let burstNoRetry = 0;
      const burstN = 4 * queueLimit;
      await Promise.all(Array.from({ length: burstN }, async () => {
        try {
          const res = await send(server.url, single);
          await res.arrayBuffer();
          burstCounts[res.status] = (burstCounts[res.status] ?? 0) + 1;
          if (res.status === 503 && !res.headers.get("retry-after")) burstNoRetry++;
        } catch {
          burstCounts.dropped = (burstCounts.dropped ?? 0) + 1;
        }
      }));
      const health = await fetch(`${server.url}/healthz`);
      await health.body?.cancel();
      const exitCode = await server.stop();

      if (fiveXx > 0) failures.push(`${fiveXx} responses were 5xx during the soak`);
      if (dropped > 0) failures.push(`${dropped} requests failed without a response`);
      if (unexpected > 0) failures.push(`${unexpected} responses had an unexpected status`);
      failures.push(...examples.map((e) => `  e.g. ${e}`));
      if (rssEnd > rssWarm * 1.1) {
        failures.push(
          `RSS grew from ${mib(rssWarm)} MiB after warm-up to ${mib(rssEnd)} MiB (> 10%)`,
        );
      }
      if (batch.status !== 503 || batchBody?.error?.code !== "overloaded") {
        failures.push(
          `a batch of ${queueLimit + 1} images (queue limit ${queueLimit}) got ` +
            `${batch.status} ${JSON.stringify(batchBody).slice(0, 200)}, want 503 overloaded`,
        );
      }
      if (!batch.headers.get("retry-after")) {
        failures.push("the overloaded answer has no Retry-After");
      }
      const burstOther = Object.entries(burstCounts).filter(([s]) => s !== "200" && s !== "503");
      if (burstOther.length > 0) {
        failures.push(`burst answers other than 200/503: ${JSON.stringify(burstCounts)}`);
      }
      if (burstNoRetry > 0) failures.push(`${burstNoRetry} burst 503s had no Retry-After`);
      if (health.status !== 200) failures.push(`/healthz answered ${health.status} after the soak`);
      if (exitCode !== 0) failures.push(`the server exited with ${exitCode} on SIGTERM`);

      latencies.sort((a, b) => a - b);
      const requests = latencies.length + dropped;
      return {
        config: {
          duration_s: opts.durationS,
          concurrency: opts.concurrency,
          warmup_s: opts.warmupS,
          engine: opts.engine,
          queue_limit: queueLimit,
          mix_cases: mix.length,
          good_share: GOOD_SHARE,
        },
        requests,
        requests_per_s: Math.round((requests / elapsedS) * 10) / 10,
        status_counts: statusCounts,
        unexpected_status: unexpected,
        server_errors_5xx: fiveXx,
        dropped_connections: dropped,
        latency_ms: {
          p50: percentile(latencies, 50),
          p95: percentile(latencies, 95),
          p99: percentile(latencies, 99),
          max: percentile(latencies, 100),
        },
        rss_mib: {
          ready: mib(rssReady),
          after_warmup: mib(rssWarm),
          end: mib(rssEnd),
          max: mib(rssMax),
          growth_pct: Math.round(((rssEnd - rssWarm) / rssWarm) * 1000) / 10,
        },
        rss_series_mib: series,
        overload: {
          batch_images: queueLimit + 1,
          batch_status: batch.status,
          batch_code: batchBody?.error?.code ?? null,
          batch_retry_after: batch.headers.get("retry-after"),
          burst_requests: burstN,
          burst_status_counts: burstCounts,
          burst_503_without_retry_after: burstNoRetry,
        },
        healthz_after: health.status,
        exit_code: exitCode,
        failures,
      };
    } finally {
      if (server.exitCode() === null) await server.stop();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

function parseFlags(args: string[]): SoakOptions & { out: string } {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(args[i]);
    if (!m) throw new TypeError(`unexpected argument '${args[i]}'`);
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new TypeError(`--${m[1]}: needs a value`);
    flags[m[1]] = value;
  }
  const known = ["duration", "concurrency", "warmup", "engine", "model", "queue-limit", "out"];
  for (const k of Object.keys(flags)) {
    if (!known.includes(k)) throw new TypeError(`unknown flag --${k} (known: ${known.join(", ")})`);
  }
  const num = (name: string, fallback: number, min: number, max: number) => {
    if (flags[name] === undefined) return fallback;
    const v = Number(flags[name]);
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new TypeError(
        `--${name}: must be an integer in [${min}, ${max}], got '${flags[name]}'`,
      );
    }
    return v;
  };
  const durationS = num("duration", 60, 1, 3600);
  const engine = flags.engine ?? "web";
  if (!["web", "native"].includes(engine)) throw new TypeError("--engine: must be web or native");
  return {
    durationS,
    concurrency: num("concurrency", 16, 1, 1024),
    // Under load RSS climbs in steps for the first 25-40 s (V8 heap, allocator arenas, the
    // decoders' and ORT's wasm memories growing to their working size) and then holds within a
    // few percent (measured over 120 s): the baseline is taken at half time.
    warmupS: num("warmup", Math.max(1, Math.round(durationS / 2)), 0, durationS),
    engine,
    modelPath: flags.model,
    queueLimit: flags["queue-limit"] ? num("queue-limit", 0, 1, 1_000_000) : undefined,
    out: flags.out ?? new URL("../bench/soak.json", import.meta.url).pathname,
  };
}

if (import.meta.main) {
  let opts: ReturnType<typeof parseFlags>;
  try {
    opts = parseFlags(Deno.args);
  } catch (e) {
    console.error(`soak: ${(e as Error).message}`);
    Deno.exit(2);
  }
  console.log(
    `soak: ${opts.durationS} s at concurrency ${opts.concurrency} (warm-up ${opts.warmupS} s), ` +
      `engine ${opts.engine}, loopback only`,
  );
  const report = await runSoak(opts);
  await Deno.mkdir(new URL(".", `file://${opts.out}`).pathname, { recursive: true });
  await Deno.writeTextFile(opts.out, JSON.stringify(report, null, 2) + "\n");
  console.log(
    `soak: ${report.requests} requests (${report.requests_per_s}/s), ` +
      `5xx ${report.server_errors_5xx}, dropped ${report.dropped_connections}, ` +
      `p50/p95/p99 ${report.latency_ms.p50}/${report.latency_ms.p95}/${report.latency_ms.p99} ms, ` +
      `RSS ${report.rss_mib.after_warmup} -> ${report.rss_mib.end} MiB ` +
      `(${report.rss_mib.growth_pct}%), overload batch ${report.overload.batch_status}, ` +
      `burst ${JSON.stringify(report.overload.burst_status_counts)}`,
  );
  console.log(`soak: wrote ${opts.out}`);
  if (report.failures.length > 0) {
    console.error(`soak: FAILED\n${report.failures.join("\n")}`);
    Deno.exit(1);
  }
  console.log("soak: passed");
}
