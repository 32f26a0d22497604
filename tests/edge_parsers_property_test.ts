/**
 * Property tests of the edge's request parsers on hostile input: the query parsers
 * (`parseTopK`, `parseThreshold`), the body readers (`readSingleImage`, `readBatchImages`) on
 * random and broken multipart bodies, `toEdgeError` on anything thrown, and the whole app
 * (`createApp` with a real tiny ONNX model) on random query strings and Authorization headers.
 * Each answers with a value or an HTTP error (`EdgeError`, 4xx); nothing else escapes, and no
 * request is a 5xx. Replay a failure with FC_SEED=<seed printed by fast-check>.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { createApp } from "../edge/app.ts";
import { EdgeError, STATUS_OF_CODE, toEdgeError } from "../edge/edge_error.ts";
import { parseThreshold, parseTopK } from "../edge/query_params.ts";
import { readBatchImages, readSingleImage } from "../edge/read_images.ts";
import { loadServedModel } from "../edge/served_model.ts";
import { makeTinyModel } from "../edge/tiny_model_fixture.ts";

const FC_SEED = Number(Deno.env.get("FC_SEED") ?? 20240611);
const fcOpts = (numRuns: number) => ({ seed: FC_SEED, numRuns });

/** Strings a hostile client may put in a query value: any text, number-like text, escapes. */
const hostileText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.stringMatching(/^[ \t]*[-+]?[0-9.eExX_,]{0,12}[ \t]*$/),
  fc.constantFrom("NaN", "Infinity", "-0", "1e999", "0x10", "1_000", "", " ", "\u0663", "１"),
  fc.integer().map(String),
  fc.double().map(String),
  fc.nat({ max: 200 }).map((n) => "9".repeat(n)),
);

/** Asserts `fn` returns normally or throws a 400 `invalid_parameter` with a short message. */
function valueOrBadRequest<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    assert.ok(e instanceof EdgeError, `threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.equal(e.code, "invalid_parameter");
    assert.equal(e.status, 400);
    assert.ok(e.message.length < 200, "the message does not echo a huge input");
    return undefined;
  }
}

Deno.test("parseTopK returns a whole number in [1, labels] or throws 400 invalid_parameter", () => {
  fc.assert(
    fc.property(hostileText, fc.integer({ min: 1, max: 1000 }), (raw, labels) => {
      const k = valueOrBadRequest(() => parseTopK(raw, labels));
      if (k !== undefined) assert.ok(Number.isInteger(k) && k >= 1 && k <= labels, `k=${k}`);
    }),
    fcOpts(2000),
  );
});

Deno.test("parseTopK of a decimal integer n is n clamped to the labels, 0 = all, < 0 refused", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -1e6, max: 1e6 }),
      fc.integer({ min: 1, max: 100 }),
      (n, labels) => {
        const k = valueOrBadRequest(() => parseTopK(String(n), labels));
        assert.equal(k, n < 0 ? undefined : n === 0 ? labels : Math.min(n, labels));
      },
    ),
    fcOpts(500),
  );
});

Deno.test("parseThreshold returns a number in [0, 1] or throws 400; it reads back what String(x) wrote", () => {
  fc.assert(
    fc.property(hostileText, (raw) => {
      const t = valueOrBadRequest(() => parseThreshold(raw));
      if (t !== undefined) assert.ok(t >= 0 && t <= 1, `threshold ${t}`);
    }),
    fcOpts(2000),
  );
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (x) => {
      if (Object.is(x, -0)) return; // "0" round-trips as +0
      assert.equal(parseThreshold(String(x)), x);
    }),
    fcOpts(500),
  );
});

Deno.test("toEdgeError turns anything thrown into an EdgeError whose status matches its code", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.anything(),
        fc.record({ status: fc.integer({ min: 100, max: 599 }), message: fc.string() }),
        fc.string().map((m) => new Error(m)),
      ),
      (thrown) => {
        const e = toEdgeError(thrown);
        assert.ok(e instanceof EdgeError);
        assert.equal(e.status, STATUS_OF_CODE[e.code]);
        if (
          !(thrown instanceof Error) && typeof (thrown as { status?: unknown })?.status !== "number"
        ) {
          assert.equal(e.code, "internal");
          assert.equal(e.message, "internal error", "internal details are not sent");
        }
      },
    ),
    fcOpts(1000),
  );
});

// Multipart bodies built from random parts, then optionally damaged.
const enc = new TextEncoder();
const partArb = fc.record({
  name: fc.oneof(fc.constantFrom("image", "file", "", "IMAGE"), fc.string({ maxLength: 8 })),
  filename: fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
  data: fc.uint8Array({ maxLength: 256 }),
});
type PartSpec = { name: string; filename?: string; data: Uint8Array };
const quote = (s: string) => s.replace(/["\\\r\n]/g, "_");
function multipartBody(boundary: string, parts: PartSpec[]): Uint8Array {
  const chunks: number[] = [];
  for (const p of parts) {
    const disp = `form-data; name="${quote(p.name)}"` +
      (p.filename !== undefined ? `; filename="${quote(p.filename)}"` : "");
    chunks.push(...enc.encode(`--${boundary}\r\nContent-Disposition: ${disp}\r\n\r\n`));
    chunks.push(...p.data, ...enc.encode("\r\n"));
  }
  chunks.push(...enc.encode(`--${boundary}--\r\n`));
  return Uint8Array.from(chunks);
}
const damageArb = fc.oneof(
  fc.constant({ kind: "none" as const }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.double({ min: 0, max: 1 }) }),
  fc.record({ kind: fc.constant("flip" as const), at: fc.double({ min: 0, max: 1 }) }),
);
const requestArb = fc.record({
  boundary: fc.oneof(fc.constant("b0undary"), fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,70}$/)),
  declared: fc.oneof(
    fc.constant("same"),
    fc.constantFrom(
      "multipart/form-data",
      "multipart/form-data; boundary=",
      "multipart/form-data; boundary=other",
      "image/png",
      "",
    ),
  ),
  parts: fc.array(partArb, { maxLength: 6 }),
  damage: damageArb,
  raw: fc.option(fc.uint8Array({ maxLength: 512 }), { nil: undefined }),
});

type RequestSpec = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function buildRequest(r: RequestSpec): { req: Request; parts: PartSpec[] | undefined } {
  let body = r.raw ?? multipartBody(r.boundary, r.parts);
  if (r.damage.kind === "truncate") body = body.slice(0, Math.floor(r.damage.at * body.length));
  if (r.damage.kind === "flip" && body.length > 0) {
    body = body.slice();
    body[Math.min(body.length - 1, Math.floor(r.damage.at * body.length))] ^= 0x20;
  }
  const type = r.declared === "same" ? `multipart/form-data; boundary=${r.boundary}` : r.declared;
  const headers = type ? { "Content-Type": type } : undefined;
  const req = new Request("http://edge.test/v1/classify", {
    method: "POST",
    body: body as Uint8Array<ArrayBuffer>,
    headers,
  });
  const intact = r.raw === undefined && r.damage.kind === "none" && r.declared === "same";
  return { req, parts: intact ? r.parts : undefined };
}

/** Asserts that `e` is a 4xx EdgeError. */
function assertClientError(e: unknown): void {
  assert.ok(e instanceof EdgeError, `threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
  assert.ok(e.status >= 400 && e.status < 500, `status ${e.status} for ${e.code}`);
}

Deno.test("readSingleImage returns the one 'image' file or throws a 4xx EdgeError, on any body", async () => {
  await fc.assert(
    fc.asyncProperty(requestArb, async (r) => {
      const { req, parts } = buildRequest(r);
      try {
        const img = await readSingleImage(req);
        assert.ok(img.bytes instanceof Uint8Array && img.bytes.length > 0);
        if (parts) {
          const images = parts.filter((p) => p.name === "image");
          assert.equal(images.length, 1, "accepted only with exactly one 'image' part");
          assert.deepEqual(img.bytes, images[0].data);
        }
      } catch (e) {
        assertClientError(e);
      }
    }),
    fcOpts(600),
  );
});

Deno.test("readBatchImages returns the 'image' files in order or throws a 4xx EdgeError, on any body", async () => {
  await fc.assert(
    fc.asyncProperty(requestArb, fc.integer({ min: 1, max: 8 }), async (r, maxParts) => {
      const { req, parts } = buildRequest(r);
      try {
        const images = await readBatchImages(req, maxParts);
        assert.ok(images.length >= 1);
        for (const img of images) {
          if (img.bytes instanceof EdgeError) assertClientError(img.bytes);
          else assert.ok(img.bytes.length > 0);
        }
        if (parts) {
          // Deno's form parser drops parts named "", so they escape the count (body size bounds them).
          const named = parts.filter((p) => p.name !== "").length;
          assert.ok(named <= maxParts, `${named} named parts accepted, limit ${maxParts}`);
          const want = parts.filter((p) => p.name === "image");
          assert.equal(images.length, want.length);
          for (const [i, img] of images.entries()) {
            if (!(img.bytes instanceof EdgeError)) assert.deepEqual(img.bytes, want[i].data);
          }
        }
      } catch (e) {
        assertClientError(e);
      }
    }),
    fcOpts(600),
  );
});

// The whole app on random query strings and Authorization headers, with a real model.
const dir = await Deno.makeTempDir({ prefix: "edge_parsers_prop_" });
const tiny = await makeTinyModel(dir, "tiny", { size: 16 });
const model = await loadServedModel(await Deno.readFile(tiny.onnxPath), {
  name: "tiny",
  engine: "web",
  threads: 1,
  maxBatch: 1,
  batchWaitMs: 0,
  queueLimit: 64,
});
// An 8x8 PNG (the edge's warm-up sample, written by Pillow).
const PNG = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAFElEQVR4nGM8ISfHgA0wYRUdtBIA0MoBFD5jqJkAAAAASUVORK5CYII=",
  ),
  (c) => c.charCodeAt(0),
);
const KEY = "prop-key-1";
const app = createApp({
  model: () => model,
  limits: { maxBodyBytes: 1 << 20, maxPixels: 1 << 20, batchMaxFiles: 4 },
  apiKey: KEY,
});

const queryPart = fc.oneof(
  fc.tuple(fc.constantFrom("top_k", "threshold", "top_k", "foo", "top%5Fk"), hostileText).map((
    [k, v],
  ) => `${k}=${encodeURIComponent(v)}`),
  // Raw, possibly malformed percent-escapes and separators.
  fc.stringMatching(/^[a-z_%0-9A-F=&;+#?]{0,24}$/),
);

Deno.test("the app answers random query strings and Authorization headers with 200/400/401, never 5xx", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(queryPart, { maxLength: 4 }),
      fc.oneof(
        fc.constant(`Bearer ${KEY}`),
        fc.constant(`bearer   ${KEY}`),
        fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n\0]/g, "")),
        fc.string({ maxLength: 20 }).map((s) => `Bearer ${s.replace(/[\r\n\0]/g, "")}`),
      ),
      fc.constantFrom("/v1/classify", "/v1/classify/batch"),
      async (query, authorization, path) => {
        const body = path.endsWith("batch")
          ? (() => {
            const f = new FormData();
            f.append("image", new File([PNG], "a.png"));
            return f;
          })()
          : PNG;
        const res = await app.request(`${path}?${query.join("&")}`, {
          method: "POST",
          body,
          headers: { Authorization: authorization.trim() },
        });
        const json = await res.json();
        assert.ok([200, 400, 401].includes(res.status), `${res.status} ${JSON.stringify(json)}`);
        if (res.status !== 200) {
          assert.equal(STATUS_OF_CODE[json.error.code as keyof typeof STATUS_OF_CODE], res.status);
        }
        if (res.status === 400) assert.equal(json.error.code, "invalid_parameter");
      },
    ),
    fcOpts(300),
  );
});

Deno.test("cleanup", async () => {
  await model.release();
  await Deno.remove(dir, { recursive: true });
});
