import type { MiddlewareHandler } from "hono";
import type { RequestIdVariables } from "hono/request-id";
import type { EdgeErrorCode } from "./edge_error.ts";

/** Receives one structured record per event; `edge/main.ts` prints each as a JSON line. */
export type Logger = (record: Record<string, unknown>) => void;

/** Per-request values shared by the middlewares and the error handler. */
export type AppVariables = RequestIdVariables & {
  /** Set by the error handler, logged with the request. */
  errorCode?: EdgeErrorCode;
  /** Server-side detail of an internal error (never sent to the client). */
  errorDetail?: string;
};

/** The Hono environment of the edge app. */
export type AppEnv = { Variables: AppVariables };

/**
 * Logs exactly one line per request when it finishes: request id, method, path, status,
 * duration, and the error code if any. Must run after the request-id middleware.
 */
export function requestLog(logger: Logger, clock: () => number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = clock();
    await next();
    const status = c.res.status;
    const record: Record<string, unknown> = {
      ts: new Date().toISOString(),
      level: status >= 500 ? "error" : status >= 400 ? "warn" : "info",
      msg: "request",
      request_id: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round((clock() - start) * 1000) / 1000,
    };
    const code = c.get("errorCode");
    if (code) record.error_code = code;
    const detail = c.get("errorDetail");
    if (detail) record.error_detail = detail;
    logger(record);
  };
}
