/**
 * Resolves a `--weights` source (a local path, a file:// URL or an http(s) URL) to a local file.
 * URLs are downloaded once into a cache folder (atomically: a half-finished download is never
 * taken for a cached file), with a progress bar on a terminal and an optional sha256 check.
 * @module
 */
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import process from "node:process";
import cliProgress from "cli-progress";

/** Options of `fetchWeights`. */
export interface FetchOptions {
  /** Expected sha256, hex: all 64 digits, or a prefix of at least 8 (torchvision's file names
   * carry the first 8). Checked for downloads, cached files and local files alike. */
  sha256?: string;
  /** Download cache; default `$EDGECLASS_CACHE`, else `~/.cache/edgeclass`, else `.cache/edgeclass`. */
  cacheDir?: string;
  /** Progress and cache messages; default console.error. */
  log?: (line: string) => void;
  /** Draw a progress bar; default: when stderr is a terminal. */
  progress?: boolean;
  /** Injected for tests; default globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
}

/** Where the weights ended up. */
export interface FetchedWeights {
  /** Local path of the file. */
  path: string;
  bytes: Uint8Array;
  /** Full sha256 of `bytes`, hex. */
  sha256: string;
  /** True when this call downloaded it (false: local file or cache hit). */
  downloaded: boolean;
}

/** The default download cache folder. */
export function defaultCacheDir(): string {
  const env = Deno.env.get("EDGECLASS_CACHE");
  if (env) return env;
  const home = Deno.env.get("HOME");
  return home ? join(home, ".cache", "edgeclass") : join(".cache", "edgeclass");
}

/** sha256 of `bytes` as lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Validates a user-given sha256 (full or >= 8-digit prefix) and returns it lowercased. */
export function parseSha256(text: string): string {
  const s = text.trim().toLowerCase();
  if (!/^[0-9a-f]{8,64}$/.test(s)) {
    throw new TypeError(`sha256 '${text}' must be 8 to 64 hex digits`);
  }
  return s;
}

/** The cache file name for `url`: a digest of the whole URL (two `model.safetensors` from
 * different repos must not collide) plus the URL's own file name for humans. */
export function cacheFileName(url: URL): string {
  const digest = sha256Hex(new TextEncoder().encode(url.href)).slice(0, 16);
  const name = basename(decodeURIComponent(url.pathname)).replace(/[^A-Za-z0-9._-]/g, "_");
  return `${digest}-${name || "weights"}`;
}

function checkSha(bytes: Uint8Array, want: string | undefined, what: string): string {
  const got = sha256Hex(bytes);
  if (want !== undefined && !got.startsWith(want)) {
    throw new Error(`${what}: sha256 is ${got}, expected ${want}`);
  }
  return got;
}

/**
 * Returns the bytes of `source`. A URL is served from the cache when present (and matching
 * `sha256`), else downloaded to `<cacheDir>/<cacheFileName>`; a download whose hash does not
 * match is deleted and the call throws.
 */
export async function fetchWeights(
  source: string,
  opts: FetchOptions = {},
): Promise<FetchedWeights> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const want = opts.sha256 === undefined ? undefined : parseSha256(opts.sha256);
  let url: URL | null = null;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    url = new URL(source);
    if (url.protocol === "file:") {
      url = null;
      source = decodeURIComponent(new URL(source).pathname);
    } else if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`${source}: only http(s)://, file:// URLs and paths are supported`);
    }
  }
  if (url === null) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(source);
    } catch (e) {
      throw new Error(`${source}: cannot read weights file (${(e as Error).message})`);
    }
    return { path: source, bytes, sha256: checkSha(bytes, want, source), downloaded: false };
  }

  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const path = join(cacheDir, cacheFileName(url));
  const cached = await Deno.readFile(path).catch(() => null);
  if (cached !== null) {
    const got = sha256Hex(cached);
    if (want === undefined || got.startsWith(want)) {
      log(`weights: using cached ${path} for ${url.href}`);
      return { path, bytes: cached, sha256: got, downloaded: false };
    }
    log(`weights: cached ${path} has sha256 ${got}, expected ${want}; downloading again`);
  }

  await Deno.mkdir(cacheDir, { recursive: true });
  log(`weights: downloading ${url.href} -> ${path}`);
  const bytes = await download(
    url,
    opts.fetch ?? globalThis.fetch,
    opts.progress ?? Deno.stderr.isTerminal(),
  );
  const got = checkSha(bytes, want, url.href); // throws before anything lands in the cache
  const tmp = `${path}.part-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`${path}: cannot write the download cache (${(e as Error).message})`);
  }
  return { path, bytes, sha256: got, downloaded: true };
}

async function download(
  url: URL,
  fetchFn: typeof globalThis.fetch,
  showProgress: boolean,
): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetchFn(url);
  } catch (e) {
    throw new Error(`${url.href}: download failed (${(e as Error).message})`);
  }
  if (!res.ok || res.body === null) {
    await res.body?.cancel();
    throw new Error(`${url.href}: download failed with HTTP ${res.status} ${res.statusText}`);
  }
  const total = Number(res.headers.get("content-length") ?? NaN);
  const bar = showProgress
    ? new cliProgress.SingleBar(
      { format: "weights [{bar}] {percentage}% {value}/{total} bytes", stream: process.stderr },
      cliProgress.Presets.shades_classic,
    )
    : null;
  bar?.start(Number.isFinite(total) ? total : 0, 0);
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for await (const chunk of res.body) {
      chunks.push(chunk);
      received += chunk.length;
      bar?.update(received);
    }
  } catch (e) {
    throw new Error(
      `${url.href}: download interrupted after ${received} bytes (${(e as Error).message})`,
    );
  } finally {
    bar?.stop();
  }
  if (Number.isFinite(total) && received !== total) {
    throw new Error(`${url.href}: got ${received} bytes, Content-Length said ${total}`);
  }
  const out = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
