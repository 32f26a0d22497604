import assert from "node:assert/strict";
import { type AppLimits, createApp } from "./app.ts";
import { EdgeError } from "./edge_error.ts";
import { guardBody } from "./request_timeout.ts";
import { loadServedModel, type ServedModel } from "./served_model.ts";
import { makeTestImages } from "./test_images_fixture.ts";
import { makeTinyModel } from "./tiny_model_fixture.ts";

const dir = await Deno.makeTempDir({ prefix: "edge_request_timeout_test_" });
const tiny = await makeTinyModel(dir, "tiny", { labels: ["a", "b", "c"], size: 16 });
const red = await Deno.readFile((await makeTestImages(dir)).red);
const model: ServedModel = await loadServedModel(await Deno.readFile(tiny.onnxPath), {
  name: "tiny",
  engine: "web",
  threads: 1,
  maxBatch: 1,
  batchWaitMs: 0,
  queueLimit: 8,
});
const LIMITS: AppLimits = { maxBodyBytes: 64 * 1024, maxPixels: 1_000_000, batchMaxFiles: 4 };
/** How long a test waits for an answer before calling it a hang (not a timing assertion). */
const HANG_MS = 20_000;

/** A body that sends `head`, then neither ends nor fails; `onCancel` sees its cancellation. */
function stalledBody(head: Uint8Array, onCancel?: (reason: unknown) => void) {
  return new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(head.slice());
    },
    cancel(reason) {
      onCancel?.(reason);
    },
  });
}

/** A body that sends `head`, then fails with `err` (what Deno does when a client cuts it). */
function failingBody(head: Uint8Array, err: Error) {
  let sent = false;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent) c.error(err);
      else c.enqueue(head.slice());
      sent = true;
    },
  });
}

const cutOff = () =>
  new Deno.errors.BadResource("Cannot read body as underlying resource unavailable");
const isCode = (code: string) => (e: unknown) => e instanceof EdgeError && e.code === code;

Deno.test("guardBody passes a body through unchanged and stops its deadline at the end", async () => {
  // A 60 s timer left running would fail this test (Deno's leaking-ops sanitizer).
  const guarded = guardBody(new Blob([red as Uint8Array<ArrayBuffer>]).stream(), 60_000);
  const got = new Uint8Array(await new Response(guarded.stream).arrayBuffer());
  assert.deepEqual(got, red);
  assert.equal(guarded.failure(), undefined);
});

Deno.test("guardBody fails a stalled body with request_timeout and cancels the original", async () => {
  let cancelled: unknown;
  const guarded = guardBody(stalledBody(red.subarray(0, 10), (r) => (cancelled = r)), 30);
  await assert.rejects(new Response(guarded.stream).arrayBuffer(), isCode("request_timeout"));
  assert.equal(guarded.failure()?.status, 408);
  assert.ok(isCode("request_timeout")(cancelled), "the original body is cancelled");
});

Deno.test("guardBody turns a failed read of the original into invalid_body", async () => {
  const guarded = guardBody(failingBody(red.subarray(0, 10), cutOff()), 60_000);
  await assert.rejects(new Response(guarded.stream).arrayBuffer(), (e: unknown) => {
    assert.ok(isCode("invalid_body")(e));
    assert.match((e as Error).message, /underlying resource unavailable/);
    return true;
  });
  assert.equal(guarded.failure()?.status, 400);
});

Deno.test("createApp answers a stalled body 408 request_timeout and a cut one 400 invalid_body, on every body path", async () => {
  const app = createApp({ model: () => model, limits: { ...LIMITS, requestTimeoutMs: 50 } });
  const mp = { "Content-Type": "multipart/form-data; boundary=b0undary" };
  const partHead = new TextEncoder().encode(
    '--b0undary\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\n',
  );
  // [name, route, headers, body, status, code]
  const table: [string, string, Record<string, string>, () => BodyInit, number, string][] = [
    [
      "raw, stalled",
      "/v1/classify",
      {},
      () => stalledBody(red.subarray(0, 10)),
      408,
      "request_timeout",
    ],
    ["multipart, stalled", "/v1/classify", mp, () => stalledBody(partHead), 408, "request_timeout"],
    [
      "batch, stalled",
      "/v1/classify/batch",
      mp,
      () => stalledBody(partHead),
      408,
      "request_timeout",
    ],
    [
      "raw, cut off",
      "/v1/classify",
      {},
      () => failingBody(red.subarray(0, 10), cutOff()),
      400,
      "invalid_body",
    ],
    [
      "multipart, cut off",
      "/v1/classify",
      mp,
      () => failingBody(partHead, cutOff()),
      400,
      "invalid_body",
    ],
  ];
  for (const [name, route, headers, body, status, code] of table) {
    const res = await app.request(route, {
      method: "POST",
      headers,
      body: body(),
      signal: AbortSignal.timeout(HANG_MS),
    });
    const json = await res.json();
    assert.equal(res.status, status, `${name}: ${JSON.stringify(json)}`);
    assert.equal(json.error.code, code, name);
    assert.equal(res.headers.get("connection"), "close", `${name}: the rest is not read`);
  }
  // A body that arrives in time is unaffected, and so is the app after the failures above.
  const ok = await app.request("/v1/classify", { method: "POST", body: red });
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).predictions.length, 3);
});

/** True once `text` holds a whole HTTP/1 answer with a Content-Length. */
function complete(text: string): boolean {
  const end = text.indexOf("\r\n\r\n");
  const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
  return end >= 0 && length !== null && text.length - end - 4 >= Number(length[1]);
}

/**
 * Sends `raw` on a socket, half-closing after it if asked, and reads the answer; with
 * `waitForClose`, reads on until the server closes. Gives up after HANG_MS (a hang).
 */
async function exchange(port: number, raw: Uint8Array, halfClose: boolean, waitForClose: boolean) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(raw);
  if (halfClose) await conn.closeWrite();
  let text = "";
  let closed = false;
  const timer = setTimeout(() => conn.close(), HANG_MS);
  try {
    while (waitForClose || !complete(text)) {
      const buf = new Uint8Array(65536);
      const n = await conn.read(buf);
      if (n === null) {
        closed = true;
        break;
      }
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
  } catch { /* closed by the hang guard */ }
  clearTimeout(timer);
  try {
    conn.close();
  } catch { /* already closed */ }
  return { text, closed };
}

Deno.test("Deno.serve: a client stalled mid-body gets 408 with Connection: close; one that cuts its body gets 400 invalid_body and a closed connection", async () => {
  const app = createApp({ model: () => model, limits: { ...LIMITS, requestTimeoutMs: 300 } });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
  const enc = (s: string, tail = new Uint8Array()) =>
    new Uint8Array([...new TextEncoder().encode(s), ...tail]);
  const post = "POST /v1/classify HTTP/1.1\r\nHost: x\r\n";
  try {
    // [name, bytes sent, half-close after them, status line, code]
    const table: [string, Uint8Array, boolean, RegExp, string][] = [
      [
        "stalled after 10 of 60000 bytes",
        enc(`${post}Content-Length: 60000\r\n\r\n`, red.subarray(0, 10)),
        false,
        /^HTTP\/1\.1 408 /,
        "request_timeout",
      ],
      [
        "stalled inside a chunk",
        enc(`${post}Transfer-Encoding: chunked\r\n\r\n10\r\nabc`),
        false,
        /^HTTP\/1\.1 408 /,
        "request_timeout",
      ],
      [
        "Content-Length 60000, the image, then a half-close",
        enc(`${post}Content-Length: 60000\r\n\r\n`, red),
        true,
        /^HTTP\/1\.1 400 /,
        "invalid_body",
      ],
      [
        "chunked, cut inside a chunk, then a half-close",
        enc(`${post}Transfer-Encoding: chunked\r\n\r\n10\r\nabc`),
        true,
        /^HTTP\/1\.1 400 /,
        "invalid_body",
      ],
    ];
    for (const [name, raw, halfClose, status, code] of table) {
      // A half-closed client's connection ends; a stalled one's stays open on Deno's side
      // (hyper drains bodies), which the 408 tells the client to give up.
      const { text, closed } = await exchange(server.addr.port, raw, halfClose, halfClose);
      assert.match(text, status, `${name}: ${text}`);
      assert.ok(text.includes(`"code":"${code}"`), `${name}: ${text}`);
      assert.match(text, /\r\nconnection: close\r\n/i, `${name}: no keep-alive`);
      if (halfClose) assert.ok(closed, `${name}: the server closes the connection`);
    }
    const ok = await fetch(`http://127.0.0.1:${server.addr.port}/v1/classify`, {
      method: "POST",
      body: red,
    });
    assert.equal(ok.status, 200, "the server still classifies");
    assert.equal((await ok.json()).predictions.length, 3);
  } finally {
    await server.shutdown();
  }
});

Deno.test("cleanup", async () => {
  await Deno.remove(dir, { recursive: true });
});
