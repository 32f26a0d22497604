import { ImageError } from "../shared/image_error.ts";

/** Stable error codes of the HTTP API. Clients branch on `code`, never on `message`. */
export type EdgeErrorCode =
  | "invalid_parameter"
  | "invalid_body"
  | "missing_image"
  | "invalid_multipart"
  | "too_many_files"
  | "unauthorized"
  | "not_found"
  | "request_timeout"
  | "too_large"
  | "too_many_pixels"
  | "unsupported_format"
  | "corrupt_image"
  | "not_ready"
  | "overloaded"
  | "inference_failed"
  | "internal";

/** The HTTP status of each code (the API contract; the README table mirrors it). */
export const STATUS_OF_CODE = {
  invalid_parameter: 400,
  invalid_body: 400,
  missing_image: 400,
  invalid_multipart: 400,
  too_many_files: 400,
  unauthorized: 401,
  not_found: 404,
  request_timeout: 408,
  too_large: 413,
  too_many_pixels: 413,
  unsupported_format: 415,
  corrupt_image: 422,
  not_ready: 503,
  overloaded: 503,
  inference_failed: 500,
  internal: 500,
} as const satisfies Record<EdgeErrorCode, number>;

/** HTTP statuses that the API can answer with on error. */
export type EdgeErrorStatus = (typeof STATUS_OF_CODE)[EdgeErrorCode];

/**
 * A refused request. Thrown anywhere under a route; the app's single `onError` turns it into
 * `{error: {code, message}}` with the status of its code.
 */
export class EdgeError extends Error {
  readonly code: EdgeErrorCode;
  readonly status: EdgeErrorStatus;
  /** Seconds for a `Retry-After` header (503 answers). */
  readonly retryAfterS?: number;

  constructor(
    code: EdgeErrorCode,
    message: string,
    options?: ErrorOptions & { retryAfterS?: number },
  ) {
    super(message, options);
    this.name = "EdgeError";
    this.code = code;
    this.status = STATUS_OF_CODE[code];
    this.retryAfterS = options?.retryAfterS;
  }
}

/** Names of the `Deno.errors` classes a read of a client's request body fails with. */
const BODY_READ_ERRORS = [
  "BadResource",
  "ConnectionReset",
  "ConnectionAborted",
  "UnexpectedEof",
  "Interrupted",
  "BrokenPipe",
  "Http",
] as const;

/**
 * True for the error Deno raises when the client's request body cannot be read: cut off before
 * its Content-Length or inside a chunk, or dropped after a half-close ("Cannot read body as
 * underlying resource unavailable"). A client fault, so 400 rather than 500. Only those
 * `Deno.errors` classes with "body" in the message: the same classes from our own resources,
 * and any TypeError (such as reading a body twice), stay `internal`, since they are our bugs.
 */
export function isBodyReadError(err: unknown): boolean {
  const errors = (globalThis as { Deno?: { errors?: Record<string, unknown> } }).Deno?.errors;
  if (!errors || !(err instanceof Error) || !/\bbody\b/i.test(err.message)) return false;
  return BODY_READ_ERRORS.some((name) => {
    const cls = errors[name];
    return typeof cls === "function" && err instanceof cls;
  });
}

/**
 * Maps anything thrown while serving a request to an `EdgeError`: image errors keep their code,
 * a request body the client cut off is `invalid_body`, known HTTP statuses map to their code,
 * everything else becomes `internal` (and its message is hidden from the client, since it may
 * carry server details).
 */
export function toEdgeError(err: unknown): EdgeError {
  if (err instanceof EdgeError) return err;
  if (err instanceof ImageError) return new EdgeError(err.code, err.message, { cause: err });
  if (isBodyReadError(err)) {
    return new EdgeError(
      "invalid_body",
      `the request body could not be read (cut off or malformed): ${(err as Error).message}`,
      { cause: err },
    );
  }
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === "number") {
    const message = (err as Error).message || "request refused";
    if (status === 401) return new EdgeError("unauthorized", message, { cause: err });
    if (status === 404) return new EdgeError("not_found", message, { cause: err });
    if (status === 408) return new EdgeError("request_timeout", message, { cause: err });
    if (status === 413) return new EdgeError("too_large", message, { cause: err });
    if (status === 415) return new EdgeError("unsupported_format", message, { cause: err });
    if (status === 400) return new EdgeError("invalid_parameter", message, { cause: err });
  }
  return new EdgeError("internal", "internal error", { cause: err });
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: EdgeErrorCode; message: string };
}

/** The body for `err`. */
export function errorBody(err: EdgeError): ErrorBody {
  return { error: { code: err.code, message: err.message } };
}
