/**
 * A deadline for receiving a request body. `Deno.serve` has no read timeout: a client that sends
 * its headers and then stops mid-body holds its connection, its request and the handler waiting
 * on the body forever (a few thousand of those exhaust the server). This middleware puts the body
 * behind a stream that fails once the deadline passes, so the handler answers 408
 * `request_timeout`. It also turns a failed read of the body (the client cut it off or sent
 * broken chunking) into 400 `invalid_body` whatever the body parser makes of it.
 *
 * The 408 carries `Connection: close`, and the original body is cancelled, which frees the
 * request and the handler. What no code in the app can bound: Deno.serve (hyper) keeps a stalled
 * client's TCP connection open after the 408 to drain the rest of its body, and a client that
 * never finishes its header block never reaches a handler at all. Both need a reverse proxy with
 * header and idle timeouts in front.
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { EdgeError } from "./edge_error.ts";
import type { AppEnv } from "./request_log.ts";

/** A request body behind a deadline, and what went wrong reading it, if anything. */
export interface GuardedBody {
  /** The body to read instead of the original one. */
  stream: ReadableStream<Uint8Array>;
  /** `request_timeout` if the deadline passed first, `invalid_body` if the read failed. */
  failure(): EdgeError | undefined;
  /** Stops the deadline (the request is answered). */
  stop(): void;
}

/**
 * Wraps `body` so that it errors with `EdgeError("request_timeout")` unless it has been read to
 * its end within `timeoutMs` of this call, and with `EdgeError("invalid_body")` if reading the
 * original fails. On either, the original body is cancelled, which releases the connection.
 */
export function guardBody(body: ReadableStream<Uint8Array>, timeoutMs: number): GuardedBody {
  const reader = body.getReader();
  let failure: EdgeError | undefined;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fail = (err: EdgeError) => {
    if (failure) return;
    failure = err;
    clearTimeout(timer);
    try {
      controller.error(err);
    } catch { /* already closed or errored */ }
    reader.cancel(err).catch(() => {});
  };
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      timer = setTimeout(() =>
        fail(
          new EdgeError(
            "request_timeout",
            `the request body did not arrive within ${timeoutMs} ms`,
          ),
        ), timeoutMs);
    },
    async pull(c) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        // Whatever the original body throws comes from the client's side of the connection
        // (Deno's BadResource when it was cut off, hyper's errors for broken chunking).
        const why = e instanceof Error ? e.message : String(e);
        fail(
          new EdgeError("invalid_body", `the request body could not be read: ${why}`, {
            cause: e,
          }),
        );
        return;
      }
      if (failure) return;
      if (chunk.done) {
        clearTimeout(timer);
        c.close();
      } else {
        c.enqueue(chunk.value);
      }
    },
    cancel(reason) {
      clearTimeout(timer);
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return { stream, failure: () => failure, stop: () => clearTimeout(timer) };
}

/**
 * Middleware: the request body must arrive in full within `timeoutMs` of the request reaching
 * the app, else 408 `request_timeout`; a body that cannot be read is 400 `invalid_body`. Put it
 * before anything that reads the body (the body-limit middleware included).
 */
export function requestTimeout(timeoutMs: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const body = c.req.raw.body;
    if (!body) return await next();
    const guarded = guardBody(body, timeoutMs);
    const raw = c.req.raw;
    // From the URL, not `new Request(raw, ...)`: copying Deno.serve's request signal makes Deno
    // print a deprecation warning on every such request (nothing here reads the signal).
    c.req.raw = new Request(raw.url, {
      method: raw.method,
      headers: raw.headers,
      body: guarded.stream,
      duplex: "half",
    } as RequestInit);
    try {
      await next();
    } finally {
      guarded.stop();
    }
    // A body parser may have reported the failed read as its own error (a multipart parser
    // says "malformed"): the cause was the body, so say so.
    const failure = guarded.failure();
    if (failure && c.get("errorCode") !== failure.code) throw failure;
  };
}
