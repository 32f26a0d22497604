/**
 * Loads a URL with Debian's `wrk` (POSTing a file through wrk_post.lua) and returns its numbers.
 * Only for servers on this machine: the URL must be on 127.0.0.1 / localhost / [::1].
 * @module
 */

const LUA = new URL("./wrk_post.lua", import.meta.url).pathname;

/** Options of `runWrk`. */
export interface WrkOptions {
  connections: number;
  durationS: number;
  bodyPath: string;
  contentType?: string;
  /** wrk threads (default 1: wrk then takes one core at most from the server it loads). */
  threads?: number;
  /** Per-request timeout in s (wrk's default 2 s is too short for ResNet18 under load). */
  timeoutS?: number;
  wrk?: string;
}

/** One wrk run. Latencies in ms. */
export interface WrkResult {
  connections: number;
  durationS: number;
  requests: number;
  reqPerS: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** Responses with status >= 400 (wrk's `errors.status`). */
  non2xx: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
}

/** Parses the WRK_JSON line that wrk_post.lua's done() prints. */
export function parseWrkOutput(stdout: string, connections: number): WrkResult {
  const line = stdout.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (!line) throw new Error(`wrk printed no WRK_JSON line:\n${stdout.slice(-1500)}`);
  const j = JSON.parse(line.slice("WRK_JSON ".length));
  const ms = (us: number) => Math.round(us) / 1000;
  const durationS = j.duration_us / 1e6;
  return {
    connections,
    durationS: Math.round(durationS * 1000) / 1000,
    requests: j.requests,
    reqPerS: Math.round((j.requests / durationS) * 10) / 10,
    latencyMs: {
      mean: ms(j.latency_us.mean),
      p50: ms(j.latency_us.p50),
      p90: ms(j.latency_us.p90),
      p99: ms(j.latency_us.p99),
      max: ms(j.latency_us.max),
    },
    non2xx: j.errors.status,
    socketErrors: {
      connect: j.errors.connect,
      read: j.errors.read,
      write: j.errors.write,
      timeout: j.errors.timeout,
    },
  };
}

/** Runs wrk against `url` (loopback only) and returns its summary. */
export async function runWrk(url: string, opts: WrkOptions): Promise<WrkResult> {
  const host = new URL(url).hostname;
  if (!["127.0.0.1", "localhost", "[::1]"].includes(host)) {
    throw new RangeError(`runWrk only loads servers on this machine, not ${host}`);
  }
  const threads = Math.min(opts.threads ?? 1, opts.connections);
  const out = await new Deno.Command(opts.wrk ?? "wrk", {
    args: [
      "-t",
      String(threads),
      "-c",
      String(opts.connections),
      "-d",
      `${opts.durationS}s`,
      "--timeout",
      `${opts.timeoutS ?? 10}s`,
      "-s",
      LUA,
      url,
    ],
    env: {
      WRK_BODY_FILE: opts.bodyPath,
      WRK_CONTENT_TYPE: opts.contentType ?? "application/octet-stream",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`wrk failed (exit ${out.code}): ${new TextDecoder().decode(out.stderr)}`);
  }
  return parseWrkOutput(stdout, opts.connections);
}
