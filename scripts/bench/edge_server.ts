/**
 * Starts the real edge server (`edge/main.ts`) as a subprocess on 127.0.0.1, for the http and
 * cold sections.
 * @module
 */

const MAIN = new URL("../../edge/main.ts", import.meta.url).pathname;

/** A free TCP port on 127.0.0.1 (bound, then released). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Options of `spawnEdgeServer`. */
export interface EdgeServerOptions {
  modelPath: string;
  engine: "web" | "native";
  /** EDGE_THREADS; undefined = the server's default (min(cores, 4)). */
  threads?: number;
  /** Extra environment: MAX_BATCH, BATCH_WAIT_MS, QUEUE_LIMIT... */
  env?: Record<string, string>;
  /** Called with each JSON log line and performance.now() at its arrival; without it the log
   * goes to /dev/null. */
  onLog?: (record: Record<string, unknown>, at: number) => void;
}

/** A running edge server. */
export interface EdgeServer {
  port: number;
  url: string;
  /** performance.now() just before the process was spawned. */
  spawnedAt: number;
  child: Deno.ChildProcess;
  /** What the server wrote on stderr so far (startup errors). */
  stderr(): string;
  /** SIGTERM, then waits for the exit (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/**
 * Spawns `deno run -A --unstable-raw-imports edge/main.ts` with MODEL_PATH, EDGE_ENGINE,
 * EDGE_THREADS, LISTEN_HOST=127.0.0.1 and a free PORT. Its JSON log lines (one per request) go
 * to `opts.onLog`, or to /dev/null: still written, as in production, but nobody reads them.
 */
export function spawnEdgeServer(opts: EdgeServerOptions): EdgeServer {
  const port = freePort();
  const spawnedAt = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-raw-imports", MAIN],
    env: {
      MODEL_PATH: opts.modelPath,
      EDGE_ENGINE: opts.engine,
      LISTEN_HOST: "127.0.0.1",
      PORT: String(port),
      ...(opts.threads === undefined ? {} : { EDGE_THREADS: String(opts.threads) }),
      ...opts.env,
    },
    stdin: "null",
    stdout: opts.onLog ? "piped" : "null",
    stderr: "piped",
  }).spawn();
  let err = "";
  const drainErr = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) err = (err + dec.decode(chunk)).slice(-4000);
  })();
  const onLog = opts.onLog;
  const drainOut = onLog
    ? (async () => {
      const dec = new TextDecoder();
      let buf = "";
      for await (const chunk of child.stdout) {
        const at = performance.now();
        buf += dec.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          try {
            onLog(JSON.parse(line), at);
          } catch { /* not a JSON log line */ }
        }
      }
    })()
    : Promise.resolve();
  let stopped = false;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    spawnedAt,
    child,
    stderr: () => err,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        child.kill("SIGTERM");
      } catch { /* already exited */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* exited meanwhile */ }
      }, 5000);
      await child.status;
      clearTimeout(timer);
      await Promise.all([drainErr, drainOut]);
    },
  };
}

/** Polls GET /readyz until 200; throws with the server's stderr if it exits or times out. */
export async function waitReady(server: EdgeServer, timeoutMs = 120_000): Promise<void> {
  let exited = false;
  server.child.status.then(() => (exited = true));
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (exited) throw new Error(`edge server exited during startup:\n${server.stderr()}`);
    try {
      const res = await fetch(`${server.url}/readyz`);
      await res.body?.cancel();
      if (res.status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`edge server not ready after ${timeoutMs} ms:\n${server.stderr()}`);
}
