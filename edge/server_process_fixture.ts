/**
 * Test fixture: runs `edge/main.ts` as a subprocess under deploy permissions
 * (`--allow-net --allow-env --allow-read=<model>`, no write, no ffi), finds its port from the
 * "listening" log line, and collects its JSON log lines. Used by tests only.
 * @module
 */

const MAIN = new URL("./main.ts", import.meta.url).pathname;
const ROOT = new URL("../", import.meta.url).pathname;

/** A running (or exited) edge server process. */
export interface ServerProcess {
  /** `http://127.0.0.1:<port>`, once listening. */
  url: string;
  /** Every JSON line printed on stdout so far. */
  logs: Record<string, unknown>[];
  stderr(): string;
  /** Resolves once the process has exited, with its code. */
  exited: Promise<number>;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number>;
}

/** Extra read paths beyond the model, and env on top of the defaults. */
export interface StartOptions {
  env: Record<string, string>;
  /** Paths for --allow-read (deploy grants the model only). */
  allowRead: string[];
  /** Wait for /readyz = 200 before resolving (default true). */
  waitReady?: boolean;
}

/**
 * Starts the server with PORT=0 on 127.0.0.1. Resolves once it is ready (or, with
 * `waitReady: false`, once it listens or exits). Bounded: gives up after 60 s.
 */
export async function startServer(opts: StartOptions): Promise<ServerProcess> {
  const args = [
    "run",
    "--allow-net",
    "--allow-env",
    ...(opts.allowRead.length ? [`--allow-read=${opts.allowRead.join(",")}`] : []),
    "--unstable-raw-imports",
    MAIN,
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { PORT: "0", LISTEN_HOST: "127.0.0.1", NO_COLOR: "1", ...opts.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const logs: Record<string, unknown>[] = [];
  let stderrText = "";
  let resolveListening!: (url: string | undefined) => void;
  const listening = new Promise<string | undefined>((r) => (resolveListening = r));
  const readOut = (async () => {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const rec = JSON.parse(line);
          logs.push(rec);
          if (rec.msg === "listening") resolveListening(`http://127.0.0.1:${rec.port}`);
        } catch { /* not a log line */ }
      }
    }
    resolveListening(undefined);
  })();
  const readErr = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderrText += chunk;
    }
  })();
  const exited = child.status.then(async (s) => {
    await Promise.all([readOut, readErr]);
    return s.code;
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 60_000)));
  const url = await Promise.race([listening, exited.then(() => undefined), timeout]) ?? "";
  clearTimeout(timer);
  const server: ServerProcess = {
    url,
    logs,
    stderr: () => stderrText,
    exited,
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      return await exited;
    },
  };
  if (url && opts.waitReady !== false) {
    const deadline = Date.now() + 60_000;
    let done = false;
    exited.then(() => (done = true));
    while (!done && Date.now() < deadline) {
      const res = await fetch(`${url}/readyz`).catch(() => undefined);
      const status = res?.status;
      await res?.body?.cancel();
      if (status === 200) return server;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return server;
}
