/** Largest model `fetchModel` accepts (bytes); a bigger download is cut off and refused. */
export const MAX_MODEL_BYTES = 1024 * 1024 * 1024;

function hex(buf: ArrayBuffer): string {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Downloads the model once at cold start: https only, the body must hash to `sha256` (hex).
 * Throws an Error naming the URL on any failure, so startup stops instead of serving an
 * unverified model. `fetchFn` is injectable so a test can trust its own TLS certificate.
 */
export async function fetchModel(
  url: string,
  sha256: string,
  fetchFn: typeof fetch = fetch,
  maxBytes = MAX_MODEL_BYTES,
): Promise<Uint8Array> {
  const parsed = new URL(url);
  if (parsed.protocol !== "https:") throw new Error(`MODEL_URL ${url}: only https:// is allowed`);
  if (!/^[0-9a-f]{64}$/i.test(sha256)) {
    throw new Error("MODEL_SHA256: must be 64 hex digits");
  }
  let res: Response;
  try {
    res = await fetchFn(parsed.href);
  } catch (e) {
    throw new Error(`MODEL_URL ${url}: fetch failed: ${(e as Error).message}`, { cause: e });
  }
  // Redirects are followed (hosts often redirect to a CDN), but never down to plain http.
  if (res.url && new URL(res.url).protocol !== "https:") {
    await res.body?.cancel();
    throw new Error(`MODEL_URL ${url}: redirected to a non-https URL`);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new Error(`MODEL_URL ${url}: HTTP ${res.status}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.length;
    if (size > maxBytes) throw new Error(`MODEL_URL ${url}: larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  const got = hex(await crypto.subtle.digest("SHA-256", bytes));
  if (got !== sha256.toLowerCase()) {
    throw new Error(`MODEL_URL ${url}: sha256 is ${got}, expected MODEL_SHA256 ${sha256}`);
  }
  return bytes;
}
