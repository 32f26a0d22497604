/** Which ONNX Runtime build runs the model. `auto` = native where it loads, else web. */
export type EngineChoice = "auto" | "web" | "native" | "webgpu";

/** Where the model comes from: a local file, or an https URL pinned by its sha256. */
export type ModelSource =
  | { kind: "path"; path: string }
  | { kind: "url"; url: string; sha256: string };

/** The edge server's settings, parsed from the environment by `parseEdgeConfig`. */
export interface EdgeConfig {
  model: ModelSource;
  port: number;
  /** Interface to listen on (`LISTEN_HOST`; default 0.0.0.0). */
  hostname: string;
  engine: EngineChoice;
  /** Threads for the engine (WASM workers or ORT intra-op threads). */
  threads: number;
  /** Largest accepted body of `/v1/classify`, and of one file in a batch. */
  maxBodyBytes: number;
  /** Largest accepted width*height, read from the image header before decoding. */
  maxPixels: number;
  /** Bearer key required on `/v1/*`; undefined = the API is open. */
  apiKey: string | undefined;
  /** Origins allowed by CORS; empty = no CORS headers at all; ["*"] = any origin. */
  corsOrigins: string[];
  /** Most images run through the model at once (micro-batching across requests). */
  maxBatch: number;
  /** How long the queue waits to fill a micro-batch, in ms (0 = run what is there). */
  batchWaitMs: number;
  /** Most images waiting for the model; beyond it requests get 503 `overloaded`. */
  queueLimit: number;
  /** Most `image` files in one `/v1/classify/batch` request. */
  batchMaxFiles: number;
  /**
   * Milliseconds a request body may take to arrive in full, else 408 `request_timeout`
   * (`REQUEST_TIMEOUT_MS`; 0 = no deadline). Stalls inside the headers need a proxy in front.
   */
  requestTimeoutMs: number;
}

/** Defaults, as documented in the README's env table. */
export const EDGE_DEFAULTS = {
  port: 8000,
  hostname: "0.0.0.0",
  engine: "auto",
  maxBodyBytes: 10 * 1024 * 1024,
  maxPixels: 25_000_000,
  maxBatch: 1,
  batchWaitMs: 0,
  queueLimit: 64,
  batchMaxFiles: 16,
  maxThreads: 4,
  requestTimeoutMs: 30_000,
} as const;

/**
 * Parses the environment (`Deno.env.toObject()` or a test's object). Throws a TypeError whose
 * message names the variable at fault, so startup fails with a clear line.
 */
export function parseEdgeConfig(
  env: Record<string, string | undefined>,
  hardwareConcurrency = 1,
): EdgeConfig {
  const text = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === "" ? undefined : v;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new TypeError(`${name}: must be an integer in [${min}, ${max}], got '${raw}'`);
    }
    return Number(raw);
  };

  const path = text("MODEL_PATH");
  const url = text("MODEL_URL");
  let model: ModelSource;
  if (path !== undefined && url !== undefined) {
    throw new TypeError("MODEL_PATH and MODEL_URL: set one of them, not both");
  } else if (path !== undefined) {
    model = { kind: "path", path };
  } else if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new TypeError(`MODEL_URL: not a URL: '${url}'`);
    }
    if (parsed.protocol !== "https:") throw new TypeError("MODEL_URL: must be an https:// URL");
    const sha256 = text("MODEL_SHA256")?.toLowerCase();
    if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) {
      throw new TypeError("MODEL_SHA256: required with MODEL_URL, 64 hex digits");
    }
    model = { kind: "url", url: parsed.href, sha256 };
  } else {
    throw new TypeError("MODEL_PATH: required (or MODEL_URL with MODEL_SHA256)");
  }

  const engine = text("EDGE_ENGINE") ?? EDGE_DEFAULTS.engine;
  if (!["auto", "web", "native", "webgpu"].includes(engine)) {
    throw new TypeError(`EDGE_ENGINE: must be auto, web, native or webgpu, got '${engine}'`);
  }

  const corsOrigins = (text("CORS_ORIGINS") ?? "").split(",").map((s) => s.trim()).filter((s) =>
    s !== ""
  );
  for (const origin of corsOrigins) {
    if (origin === "*") continue;
    let ok = false;
    try {
      const u = new URL(origin);
      ok = (u.protocol === "https:" || u.protocol === "http:") && u.origin === origin;
    } catch { /* reported below */ }
    if (!ok) {
      throw new TypeError(
        `CORS_ORIGINS: '${origin}' is not an origin like https://example.com (no path or slash)`,
      );
    }
  }
  if (corsOrigins.includes("*") && corsOrigins.length > 1) {
    throw new TypeError("CORS_ORIGINS: '*' cannot be combined with other origins");
  }

  const maxBatch = int("MAX_BATCH", EDGE_DEFAULTS.maxBatch, 1, 1024);
  return {
    model,
    port: int("PORT", EDGE_DEFAULTS.port, 0, 65535),
    hostname: text("LISTEN_HOST") ?? EDGE_DEFAULTS.hostname,
    engine: engine as EngineChoice,
    threads: int(
      "EDGE_THREADS",
      Math.max(1, Math.min(hardwareConcurrency, EDGE_DEFAULTS.maxThreads)),
      1,
      256,
    ),
    maxBodyBytes: int("MAX_BODY_BYTES", EDGE_DEFAULTS.maxBodyBytes, 1, 2 ** 31),
    maxPixels: int("MAX_PIXELS", EDGE_DEFAULTS.maxPixels, 1, 2 ** 31),
    apiKey: text("API_KEY"),
    corsOrigins,
    maxBatch,
    batchWaitMs: int("BATCH_WAIT_MS", EDGE_DEFAULTS.batchWaitMs, 0, 10_000),
    queueLimit: int("QUEUE_LIMIT", EDGE_DEFAULTS.queueLimit, 1, 1_000_000),
    batchMaxFiles: int("BATCH_MAX_FILES", EDGE_DEFAULTS.batchMaxFiles, 1, 1024),
    requestTimeoutMs: int("REQUEST_TIMEOUT_MS", EDGE_DEFAULTS.requestTimeoutMs, 0, 86_400_000),
  };
}
