import type { MiddlewareHandler } from "hono";
import { EdgeError } from "./edge_error.ts";

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/**
 * Compares two secrets in time that depends on neither: both are hashed to 32 bytes first (so
 * lengths leak nothing), then every byte is compared without an early exit.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256(a), sha256(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

/**
 * Requires `Authorization: Bearer <apiKey>`; anything else is 401 `unauthorized` (with
 * `WWW-Authenticate`). CORS preflights (OPTIONS) pass, since browsers send them without
 * credentials.
 */
export function apiKeyAuth(apiKey: string): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === "OPTIONS") return await next();
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    // Always run the comparison, so a missing header takes as long as a wrong one.
    const ok = await constantTimeEqual(match?.[1] ?? "", apiKey);
    if (!match || !ok) {
      c.header("WWW-Authenticate", 'Bearer realm="edgeclass"');
      throw new EdgeError(
        "unauthorized",
        match ? "the API key is wrong" : "missing 'Authorization: Bearer <API_KEY>' header",
      );
    }
    await next();
  };
}
