import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { EDGECLASS_VERSION } from "../shared/model_metadata.ts";
import { apiKeyAuth } from "./api_key_auth.ts";
import {
  classifyBatchRoute,
  classifyRoute,
  healthzRoute,
  modelRoute,
  readyzRoute,
} from "./api_schemas.ts";
import { classifyImages } from "./classify_images.ts";
import { DEMO_PAGE_HTML } from "./demo_page.ts";
import { DOCS_PAGE_HTML } from "./docs_page.ts";
import { EdgeError, errorBody, toEdgeError } from "./edge_error.ts";
import { parseThreshold, parseTopK } from "./query_params.ts";
import { requestTimeout } from "./request_timeout.ts";
import { readBatchImages, readSingleImage } from "./read_images.ts";
import { type AppEnv, type Logger, requestLog } from "./request_log.ts";
import { INPUT_NAME, type ServedModel } from "./served_model.ts";

/** Request limits of the app. */
export interface AppLimits {
  /** Largest body of /v1/classify, and largest file in a batch. */
  maxBodyBytes: number;
  /** Largest width*height, checked from the image header before decoding. */
  maxPixels: number;
  /** Most parts in one /v1/classify/batch body. */
  batchMaxFiles: number;
  /**
   * Milliseconds a request body may take to arrive in full (408 `request_timeout` after);
   * 0 = no deadline. Default 30000.
   */
  requestTimeoutMs?: number;
}

/** Everything the app needs; `edge/main.ts` builds it from env and files. */
export interface AppDeps {
  /** The model once loaded and warmed up; undefined before (then /v1/* and /readyz are 503). */
  model: () => ServedModel | undefined;
  limits: AppLimits;
  /** When set, /v1/* requires `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Allowed CORS origins; empty or absent = no CORS headers; ["*"] = any. */
  corsOrigins?: string[];
  logger?: Logger;
  /** Milliseconds, monotonic (performance.now). */
  clock?: () => number;
  /**
   * Why the server is not ready although the model is loaded (e.g. a decoder failed to warm
   * up), or undefined when it is: /readyz then answers 503 `not_ready` with it.
   */
  readinessProblem?: () => string | undefined;
}

/** Default of `AppLimits.requestTimeoutMs`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

function respondError(c: Context<AppEnv>, err: EdgeError) {
  c.set("errorCode", err.code);
  if (err.retryAfterS !== undefined) c.header("Retry-After", String(err.retryAfterS));
  // No keep-alive after a body that was not read to its end. (Deno.serve still keeps a stalled
  // client's connection open to drain the rest: only a proxy in front can bound that.)
  if (err.code === "request_timeout" || err.code === "invalid_body") {
    c.header("Connection", "close");
  }
  return c.json(errorBody(err), err.status);
}

/**
 * Builds the edge HTTP app: classify routes, model info, health, OpenAPI document and docs page,
 * and the demo page. All errors leave through one `onError` as `{error: {code, message}}`.
 */
export function createApp(deps: AppDeps) {
  const logger = deps.logger ?? (() => {});
  const clock = deps.clock ?? (() => performance.now());
  const { limits } = deps;

  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const where = issue?.path.join(".") || "request";
        throw new EdgeError("invalid_parameter", `${where}: ${issue?.message ?? "invalid"}`);
      }
    },
  });

  app.onError((err, c) => {
    const edgeErr = toEdgeError(err);
    if (edgeErr.code === "internal" || edgeErr.code === "inference_failed") {
      const cause = edgeErr.code === "internal" ? err : edgeErr.cause ?? err;
      c.set("errorDetail", cause instanceof Error ? cause.stack ?? cause.message : String(cause));
    }
    return respondError(c, edgeErr);
  });
  app.notFound((c) =>
    respondError(c, new EdgeError("not_found", `no route for ${c.req.method} ${c.req.path}`))
  );

  app.use(requestId());
  app.use(requestLog(logger, clock));
  if (deps.corsOrigins && deps.corsOrigins.length > 0) {
    const origins = deps.corsOrigins;
    app.use(cors({
      origin: origins.includes("*") ? "*" : origins,
      allowMethods: ["GET", "POST", "OPTIONS"],
      allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
      exposeHeaders: ["X-Request-Id", "Retry-After"],
      maxAge: 600,
    }));
  }
  if (deps.apiKey) app.use("/v1/*", apiKeyAuth(deps.apiKey));
  // Readiness comes before reading any body, so nothing is buffered for a request we refuse.
  app.use("/v1/*", async (_c, next) => {
    if (!deps.model()) {
      throw new EdgeError("not_ready", "the model is still loading", { retryAfterS: 1 });
    }
    await next();
  });
  // The deadline goes around the body before anything reads it (body-limit included).
  const timeoutMs = limits.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (timeoutMs > 0) app.use("/v1/*", requestTimeout(timeoutMs));
  const tooLarge = (max: number) => () => {
    throw new EdgeError("too_large", `request body is larger than ${max} bytes`);
  };
  app.use(
    "/v1/classify",
    bodyLimit({ maxSize: limits.maxBodyBytes, onError: tooLarge(limits.maxBodyBytes) }),
  );
  const batchMax = limits.maxBodyBytes * limits.batchMaxFiles;
  app.use("/v1/classify/batch", bodyLimit({ maxSize: batchMax, onError: tooLarge(batchMax) }));

  const ready = (): ServedModel => {
    const model = deps.model();
    if (!model) throw new EdgeError("not_ready", "the model is still loading", { retryAfterS: 1 });
    return model;
  };
  const options = (model: ServedModel, query: { top_k?: string; threshold?: string }) => ({
    topK: parseTopK(query.top_k, model.meta.labels.length),
    threshold: parseThreshold(query.threshold),
    maxPixels: limits.maxPixels,
    maxBytes: limits.maxBodyBytes,
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: deps.apiKey
      ? "Required on /v1/*: Authorization: Bearer <API_KEY>"
      : "Not required: this server runs without API_KEY",
  });

  const routes = app
    .openapi(classifyRoute, async (c) => {
      const model = ready();
      const opts = options(model, c.req.valid("query"));
      const image = await readSingleImage(c.req.raw);
      const [result] = await classifyImages(model, [image.bytes as Uint8Array], opts, clock);
      if (result instanceof EdgeError) throw result;
      return c.json({ model: model.name, ...result }, 200);
    })
    .openapi(classifyBatchRoute, async (c) => {
      const model = ready();
      const opts = options(model, c.req.valid("query"));
      const images = await readBatchImages(c.req.raw, limits.batchMaxFiles);
      const good = images.filter((i) => !(i.bytes instanceof EdgeError));
      const classified = await classifyImages(
        model,
        good.map((i) => i.bytes as Uint8Array),
        opts,
        clock,
      );
      let next = 0;
      const results = images.map((img) => {
        const r = img.bytes instanceof EdgeError ? img.bytes : classified[next++];
        return r instanceof EdgeError
          ? { filename: img.filename, ...errorBody(r) }
          : { filename: img.filename, ...r };
      });
      return c.json({ model: model.name, results }, 200);
    })
    .openapi(modelRoute, (c) => {
      const m = ready();
      return c.json({
        name: m.name,
        sha256: m.sha256,
        engine: m.engine,
        threads: m.threads,
        labels: m.meta.labels,
        preprocess: m.meta.preprocess as unknown as Record<string, unknown>,
        input: { name: INPUT_NAME, shape: m.inputShape },
        arch: m.meta.arch,
        metrics: m.meta.metrics as Record<string, number>,
        temperature: m.meta.temperature,
        max_batch: m.maxBatch,
        edgeclass_version: m.meta.edgeclassVersion,
      }, 200);
    })
    .openapi(healthzRoute, (c) => c.json({ status: "ok" as const }, 200))
    .openapi(readyzRoute, (c) => {
      const m = ready();
      const problem = deps.readinessProblem?.();
      if (problem) throw new EdgeError("not_ready", problem, { retryAfterS: 5 });
      return c.json({ status: "ready" as const, model: m.name, engine: m.engine }, 200);
    });

  routes.doc("/openapi.json", {
    openapi: "3.0.3",
    info: {
      title: "edgeclass edge API",
      version: EDGECLASS_VERSION,
      description: "Image classification with ONNX Runtime. Errors are " +
        "{error: {code, message}}; every answer carries X-Request-Id.",
    },
    security: deps.apiKey ? [{ bearer: [] }] : [],
  });
  routes.get("/docs", (c) => c.html(DOCS_PAGE_HTML));
  routes.get("/", (c) => c.html(DEMO_PAGE_HTML));
  return routes;
}

/** The type of the app `createApp` builds (for typed clients: `hc<EdgeApp>(url)`). */
export type EdgeApp = ReturnType<typeof createApp>;
