import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cacheFileName, fetchWeights, parseSha256 } from "./fetch_weights.ts";

/** A local HTTP server on 127.0.0.1 (port 0) serving `files`, counting requests per path. */
function serve(files: Record<string, Uint8Array<ArrayBuffer>>) {
  const hits: Record<string, number> = {};
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    hits[path] = (hits[path] ?? 0) + 1;
    const body = files[path];
    return body ? new Response(body) : new Response("nope", { status: 404 });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { base, hits, close: () => server.shutdown() };
}

const BYTES = new Uint8Array(200_000).map((_, i) => (i * 7919) % 251);
const SHA = createHash("sha256").update(BYTES).digest("hex");

Deno.test("fetchWeights downloads a URL once into the cache, then serves the cached copy", async () => {
  const srv = serve({ "/m/model.safetensors": BYTES });
  const cacheDir = await Deno.makeTempDir();
  const lines: string[] = [];
  try {
    const url = `${srv.base}/m/model.safetensors`;
    const first = await fetchWeights(url, {
      cacheDir,
      sha256: SHA,
      log: (l) => lines.push(l),
      progress: false,
    });
    assert.equal(first.downloaded, true);
    assert.equal(first.sha256, SHA);
    assert.deepEqual(first.bytes, BYTES);
    assert.equal(first.path, `${cacheDir}/${cacheFileName(new URL(url))}`);
    assert.deepEqual(await Deno.readFile(first.path), BYTES);
    const second = await fetchWeights(url, {
      cacheDir,
      sha256: SHA.slice(0, 8),
      log: (l) => lines.push(l),
      progress: false,
    });
    assert.equal(second.downloaded, false);
    assert.equal(second.path, first.path);
    assert.equal(srv.hits["/m/model.safetensors"], 1, "second call must not hit the network");
    assert.ok(lines.some((l) => l.includes("using cached")));
    // no temp files left behind
    assert.deepEqual([...Deno.readDirSync(cacheDir)].map((e) => e.name), [
      cacheFileName(new URL(url)),
    ]);
  } finally {
    await srv.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("fetchWeights rejects a download with the wrong sha256 and caches nothing", async () => {
  const srv = serve({ "/w.safetensors": BYTES });
  const cacheDir = await Deno.makeTempDir();
  try {
    const url = `${srv.base}/w.safetensors`;
    const bad = "0".repeat(64);
    await assert.rejects(
      fetchWeights(url, { cacheDir, sha256: bad, log: () => {}, progress: false }),
      (e: Error) =>
        e.message.includes(url) && e.message.includes(`sha256 is ${SHA}, expected ${bad}`),
    );
    assert.deepEqual([...Deno.readDirSync(cacheDir)], []);
    // a corrupted cache entry is replaced by a fresh download when a sha256 is given
    const path = `${cacheDir}/${cacheFileName(new URL(url))}`;
    await Deno.writeFile(path, new Uint8Array([1, 2, 3]));
    const got = await fetchWeights(url, { cacheDir, sha256: SHA, log: () => {}, progress: false });
    assert.equal(got.downloaded, true);
    assert.deepEqual(await Deno.readFile(path), BYTES);
  } finally {
    await srv.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("fetchWeights reports HTTP errors, unreadable paths and bad sha256 text", async () => {
  const srv = serve({});
  const cacheDir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      fetchWeights(`${srv.base}/missing.safetensors`, { cacheDir, log: () => {}, progress: false }),
      /missing\.safetensors: download failed with HTTP 404/,
    );
    await assert.rejects(
      fetchWeights(`${cacheDir}/nope.safetensors`, { log: () => {} }),
      /nope\.safetensors: cannot read/,
    );
    await assert.rejects(
      fetchWeights("ftp://x/y", { log: () => {} }),
      /only http\(s\):\/\/, file:\/\//,
    );
    const local = `${cacheDir}/local.bin`;
    await Deno.writeFile(local, BYTES);
    const viaPath = await fetchWeights(local, { sha256: SHA.toUpperCase(), log: () => {} });
    assert.equal(viaPath.downloaded, false);
    const viaFileUrl = await fetchWeights(`file://${local}`, { log: () => {} });
    assert.equal(viaFileUrl.sha256, SHA);
    await assert.rejects(
      fetchWeights(local, { sha256: "deadbeef", log: () => {} }),
      /local\.bin: sha256 is/,
    );
  } finally {
    await srv.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
  for (const bad of ["abc", "zz345678", "1".repeat(65)]) {
    assert.throws(() => parseSha256(bad), /must be 8 to 64 hex/);
  }
});
