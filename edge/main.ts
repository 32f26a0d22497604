/**
 * The edge server entry: the only place that reads env and files and calls `Deno.serve`.
 * It listens at once (so /healthz answers and /readyz says 503 during cold start), then loads,
 * checks and warms the model; a model that cannot be served stops the process with a clear line.
 *
 * Deploy permissions are enough: `deno run --allow-net --allow-env --allow-read=<model>
 * --unstable-raw-imports edge/main.ts` with EDGE_ENGINE=web.
 * @module
 */
import { createApp } from "./app.ts";
import { type EdgeConfig, parseEdgeConfig } from "./edge_config.ts";
import { fetchModel } from "./fetch_model.ts";
import type { Logger } from "./request_log.ts";
import { loadServedModel, type ServedModel } from "./served_model.ts";
import { warmDecoders } from "./warm_decoders.ts";

const logger: Logger = (record) => console.log(JSON.stringify(record));

function fail(message: string): never {
  logger({ ts: new Date().toISOString(), level: "error", msg: "startup failed", error: message });
  console.error(`edgeclass edge: ${message}`);
  Deno.exit(1);
}

function modelName(config: EdgeConfig): string {
  const where = config.model.kind === "path"
    ? config.model.path
    : new URL(config.model.url).pathname;
  const base = where.split(/[\\/]/).pop() || "model";
  return base.replace(/\.onnx$/i, "");
}

async function loadModel(config: EdgeConfig): Promise<ServedModel> {
  const name = modelName(config);
  const started = performance.now();
  let bytes: Uint8Array;
  if (config.model.kind === "path") {
    try {
      bytes = await Deno.readFile(config.model.path);
    } catch (e) {
      throw new Error(`MODEL_PATH ${config.model.path}: ${(e as Error).message}`);
    }
  } else {
    bytes = await fetchModel(config.model.url, config.model.sha256);
  }
  const model = await loadServedModel(bytes, {
    name,
    engine: config.engine,
    threads: config.threads,
    maxBatch: config.maxBatch,
    batchWaitMs: config.batchWaitMs,
    queueLimit: config.queueLimit,
    log: (r) => logger({ ts: new Date().toISOString(), level: "info", ...r }),
  });
  logger({
    ts: new Date().toISOString(),
    level: "info",
    msg: "model ready",
    model: model.name,
    sha256: model.sha256,
    engine: model.engine,
    threads: model.threads,
    labels: model.meta.labels.length,
    input_shape: model.inputShape,
    max_batch: model.maxBatch,
    load_ms: Math.round(performance.now() - started),
  });
  return model;
}

async function main(): Promise<void> {
  let config: EdgeConfig;
  try {
    config = parseEdgeConfig(Deno.env.toObject(), navigator.hardwareConcurrency ?? 1);
  } catch (e) {
    return fail((e as Error).message);
  }
  const state: { model?: ServedModel; decoderFailures: string[] } = { decoderFailures: [] };
  const app = createApp({
    model: () => state.model,
    readinessProblem: () =>
      state.decoderFailures.length > 0
        ? `decoder warm-up failed: ${state.decoderFailures.join("; ")}`
        : undefined,
    limits: {
      maxBodyBytes: config.maxBodyBytes,
      maxPixels: config.maxPixels,
      batchMaxFiles: config.batchMaxFiles,
      requestTimeoutMs: config.requestTimeoutMs,
    },
    apiKey: config.apiKey,
    corsOrigins: config.corsOrigins,
    logger,
    clock: () => performance.now(),
  });
  const server = Deno.serve({
    port: config.port,
    hostname: config.hostname,
    onListen: ({ hostname, port }) =>
      logger({
        ts: new Date().toISOString(),
        level: "info",
        msg: "listening",
        url: `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
        port,
        auth: config.apiKey ? "bearer" : "open",
        cors: config.corsOrigins,
        request_timeout_ms: config.requestTimeoutMs,
      }),
  }, app.fetch);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, () => {
        logger({ ts: new Date().toISOString(), level: "info", msg: "shutting down", signal });
        server.shutdown().then(() => Deno.exit(0));
      });
    } catch { /* signals are not available on every platform (Deno Deploy) */ }
  }
  // The model load (read, ORT session, warm-up run) and the decoders' WASM compilation overlap:
  // both are mostly waiting on compilation, which V8 does off the main thread.
  const [outcome, failures] = await Promise.all([
    loadModel(config).then(
      (model) => ({ model }),
      (e: Error) => ({ error: e }),
    ),
    warmDecoders(),
  ]);
  if ("error" in outcome) {
    await server.shutdown();
    return fail(outcome.error.message);
  }
  const loaded = outcome.model;
  if (failures.length > 0) {
    // The model serves the formats that do decode, but /readyz stays 503 so that a load
    // balancer or orchestrator sends traffic elsewhere and someone looks at this line.
    state.decoderFailures = failures;
    logger({
      ts: new Date().toISOString(),
      level: "error",
      msg: "decoder warm-up failed: /readyz stays 503",
      failures,
    });
  }
  state.model = loaded; // from here on /v1/* is served, and /readyz is 200 unless warm-up failed
}

if (import.meta.main) await main();
