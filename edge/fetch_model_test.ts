import assert from "node:assert/strict";
import { fetchModel } from "./fetch_model.ts";
import { makeTestTls } from "./tls_fixture.ts";

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("fetchModel downloads over https and verifies sha256, refusing everything else", async (t) => {
  const dir = await Deno.makeTempDir();
  const tls = await makeTestTls(dir);
  const model = crypto.getRandomValues(new Uint8Array(50_000));
  const sha = await sha256Hex(model);
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: tls.certPem,
    key: tls.keyPem,
    onListen: () => {},
  }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/m.onnx") return new Response(model);
    if (path === "/to-http") return Response.redirect("http://127.0.0.1:9/m.onnx", 302);
    if (path === "/to-https") return Response.redirect(new URL("/m.onnx", req.url), 302);
    return new Response("nope", { status: 404 });
  });
  const base = `https://localhost:${server.addr.port}`;
  const client = Deno.createHttpClient({ caCerts: [tls.caPem] });
  const trusting: typeof fetch = (input, init) => fetch(input, { ...init, client });
  try {
    await t.step("good sha", async () => {
      assert.deepEqual(await fetchModel(`${base}/m.onnx`, sha, trusting), model);
      assert.deepEqual(await fetchModel(`${base}/m.onnx`, sha.toUpperCase(), trusting), model);
    });
    await t.step("https redirect is followed", async () => {
      assert.deepEqual(await fetchModel(`${base}/to-https`, sha, trusting), model);
    });
    const refusals: [string, () => Promise<unknown>, RegExp][] = [
      [
        "wrong sha",
        () => fetchModel(`${base}/m.onnx`, "0".repeat(64), trusting),
        /sha256 is [0-9a-f]{64}, expected MODEL_SHA256 0{64}/,
      ],
      [
        "http url",
        () => fetchModel(`http://localhost:${server.addr.port}/m.onnx`, sha, trusting),
        /only https:\/\/ is allowed/,
      ],
      [
        "redirect to http",
        () => fetchModel(`${base}/to-http`, sha, trusting),
        /MODEL_URL .*to-http: (redirected to a non-https URL|fetch failed)/,
      ],
      [
        "404",
        () => fetchModel(`${base}/missing.onnx`, sha, trusting),
        /MODEL_URL .*missing\.onnx: HTTP 404/,
      ],
      [
        "too big",
        () => fetchModel(`${base}/m.onnx`, sha, trusting, 1000),
        /larger than 1000 bytes/,
      ],
      ["untrusted certificate", () => fetchModel(`${base}/m.onnx`, sha), /fetch failed/],
      [
        "bad sha format",
        () => fetchModel(`${base}/m.onnx`, "xyz", trusting),
        /MODEL_SHA256: must be 64 hex digits/,
      ],
    ];
    for (const [name, call, message] of refusals) {
      await t.step(name, async () => {
        await assert.rejects(call(), (e: Error) => {
          assert.match(e.message, message);
          return true;
        });
      });
    }
  } finally {
    client.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
