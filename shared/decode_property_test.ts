/**
 * Property tests of `decodeImage` on hostile bytes: random bytes, valid magic bytes followed by
 * garbage, truncations, bit flips and overwritten windows of real files written by Pillow, and
 * PNGs with random (CRC-correct) headers. The only acceptable outcomes are an RGB `Image` that
 * respects the limits, or an `ImageError` with one of its four codes: never another exception,
 * a crashed decoder or a hang.
 *
 * Decoding runs in a Worker with a deadline, so that a hang is reported as a failing case (with
 * fast-check's shrunk counterexample) instead of freezing the test run.
 * Replay a failure with FC_SEED=<seed printed by fast-check>.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Rng } from "./rng.ts";

const FC_SEED = Number(Deno.env.get("FC_SEED") ?? 20240611);
// No shrinking: a hang costs HANG_MS per attempt, and the unshrunk case is small anyway.
const fcOpts = (numRuns: number) => ({ seed: FC_SEED, numRuns, endOnFailure: true });
/** No answer after this long counts as a hang (generous: the CI machine is shared). */
const HANG_MS = 10_000;
/** Most properties decode under this pixel limit, so that a header flipped to a huge size stays
 * cheap; the limit property checks the default path. */
const MAX_PIXELS = 1 << 20;
const IMAGE_ERROR_CODES = ["unsupported_format", "corrupt_image", "too_many_pixels", "too_large"];

type Outcome =
  | { kind: "image"; width: number; height: number }
  | { kind: "image_error"; code: string; message: string }
  | { kind: "bad_image" | "other" | "crash" | "hang"; message: string };

const WORKER_SOURCE = `
import { decodeImage } from "${new URL("./decode.ts", import.meta.url).href}";
import { ImageError } from "${new URL("./image_error.ts", import.meta.url).href}";
self.onmessage = async (e) => {
  const { id, bytes, opts } = e.data;
  try {
    const img = await decodeImage(bytes, opts);
    const ok = img.channels === 3 && img.data instanceof Uint8Array &&
      Number.isInteger(img.width) && img.width > 0 && Number.isInteger(img.height) &&
      img.height > 0 && img.data.length === img.width * img.height * 3;
    self.postMessage(ok
      ? { id, kind: "image", width: img.width, height: img.height }
      : { id, kind: "bad_image", message: img.width + "x" + img.height + "x" + img.channels +
          " with " + img.data?.length + " bytes" });
  } catch (err) {
    self.postMessage(err instanceof ImageError
      ? { id, kind: "image_error", code: err.code, message: err.message }
      : { id, kind: "other", message: String(err?.stack ?? err) });
  }
};`;

/** Runs `decodeImage` in a worker; replaces the worker after a hang or a crash. */
class DecodeSandbox {
  #worker: Worker | undefined;
  #url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  #next = 0;

  decode(
    bytes: Uint8Array,
    opts: { maxPixels?: number; maxBytes?: number } = {},
  ): Promise<Outcome> {
    const worker = this.#worker ??= new Worker(this.#url, { type: "module" });
    const id = this.#next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.close();
        resolve({ kind: "hang", message: `no answer in ${HANG_MS} ms` });
      }, HANG_MS);
      worker.onmessage = (e) => {
        if (e.data.id !== id) return;
        clearTimeout(timer);
        resolve(e.data);
      };
      worker.onerror = (e) => {
        e.preventDefault();
        clearTimeout(timer);
        this.close();
        resolve({ kind: "crash", message: e.message });
      };
      worker.postMessage({ id, bytes, opts });
    });
  }

  close(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
  }
}

/** Asserts the outcome is an Image within `maxPixels` or an ImageError with a known code. */
function assertContained(out: Outcome, maxPixels = MAX_PIXELS): void {
  if (out.kind === "image") {
    assert.ok(out.width * out.height <= maxPixels, `${out.width}x${out.height} over the limit`);
    return;
  }
  if (out.kind === "image_error") {
    assert.ok(IMAGE_ERROR_CODES.includes(out.code), `unknown ImageError code ${out.code}`);
    // decode.ts's size cross-check names what the decoder produced: producing more than
    // maxPixels means the header check was bypassed (memory and time spent before refusing).
    const made = /but the pixels are (\d+)x(\d+)/.exec(out.message);
    if (made) {
      const pixels = Number(made[1]) * Number(made[2]);
      assert.ok(
        pixels <= maxPixels,
        `decoded ${made[1]}x${made[2]} past maxPixels: ${out.message}`,
      );
    }
    return;
  }
  assert.fail(`decodeImage gave ${out.kind}: ${out.message}`);
}

const PILLOW_SEEDS = `
import sys
from PIL import Image, ImageDraw
d = sys.argv[1]
im = Image.new("RGB", (32, 24))
px = im.load()
for y in range(24):
    for x in range(32):
        px[x, y] = (x * 8, y * 10, (x * y) % 256)
ImageDraw.Draw(im).ellipse((6, 4, 26, 20), fill=(220, 30, 30))
im.save(f"{d}/rgb.png")
rgba = im.convert("RGBA"); rgba.putalpha(Image.linear_gradient("L").resize(im.size)); rgba.save(f"{d}/rgba.png")
pal = im.convert("P", palette=Image.ADAPTIVE, colors=16); pal.save(f"{d}/trns.png", transparency=0)
Image.frombytes("I;16", (16, 8), bytes(range(256))).save(f"{d}/gray16.png")
im.save(f"{d}/rgb.jpg", quality=85)
im.save(f"{d}/progressive.jpg", quality=85, progressive=True)
im.convert("CMYK").save(f"{d}/cmyk.jpg", quality=85)
exif = Image.Exif(); exif[0x0112] = 6; im.save(f"{d}/exif6.jpg", exif=exif.tobytes())
frames = [im.rotate(a).convert("P", palette=Image.ADAPTIVE, colors=16) for a in (0, 90, 180)]
frames[0].save(f"{d}/anim.gif", save_all=True, append_images=frames[1:], duration=40, loop=0)
im.save(f"{d}/rgb.bmp"); pal.save(f"{d}/pal.bmp")
im.save(f"{d}/lzw.tif", compression="tiff_lzw"); im.save(f"{d}/raw.tif")
im.save(f"{d}/packbits.tif", compression="packbits")
im.save(f"{d}/deflate.tif", compression="tiff_adobe_deflate")
im.save(f"{d}/jpeg.tif", compression="jpeg")
im.save(f"{d}/lzw_pred.tif", compression="tiff_lzw", tiffinfo={317: 2})
im.convert("1").save(f"{d}/g3.tif", compression="group3")
im.convert("1").save(f"{d}/g4.tif", compression="group4")
im.save(f"{d}/rgb.webp")
`;
const SEED_NAMES = [
  "rgb.png",
  "rgba.png",
  "trns.png",
  "gray16.png",
  "rgb.jpg",
  "progressive.jpg",
  "cmyk.jpg",
  "exif6.jpg",
  "anim.gif",
  "rgb.bmp",
  "pal.bmp",
  "lzw.tif",
  "raw.tif",
  "rgb.webp",
  "packbits.tif",
  "deflate.tif",
  "jpeg.tif",
  "lzw_pred.tif",
  "g3.tif",
  "g4.tif",
];

async function pillowSeeds(): Promise<Uint8Array[]> {
  const dir = await Deno.makeTempDir({ prefix: "decode_prop_" });
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", PILLOW_SEEDS, dir],
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return await Promise.all(SEED_NAMES.map((n) => Deno.readFile(`${dir}/${n}`)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const seeds = await pillowSeeds();
const seedArb = fc.nat({ max: seeds.length - 1 });
const sandbox = new DecodeSandbox();

const MAGIC: number[][] = [
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  [0xff, 0xd8, 0xff],
  [...new TextEncoder().encode("GIF89a")],
  [...new TextEncoder().encode("GIF87a")],
  [0x49, 0x49, 0x2a, 0x00],
  [0x4d, 0x4d, 0x00, 0x2a],
  [0x42, 0x4d],
  [...new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8X")],
];

Deno.test("decodeImage decodes the untouched seed files (the harness works)", async () => {
  for (const [i, bytes] of seeds.entries()) {
    const out = await sandbox.decode(bytes, { maxPixels: MAX_PIXELS });
    if (SEED_NAMES[i].endsWith(".webp")) {
      assert.deepEqual(out.kind === "image_error" && out.code, "unsupported_format");
    } else {
      assert.equal(out.kind, "image", `${SEED_NAMES[i]}: ${JSON.stringify(out)}`);
    }
  }
  sandbox.close();
});

Deno.test("decodeImage on random bytes, and on magic bytes then random bytes, gives an Image or an ImageError", async () => {
  const tail = fc.uint8Array({ maxLength: 4096 });
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        tail,
        fc.tuple(fc.constantFrom(...MAGIC), tail).map(([m, t]) => Uint8Array.from([...m, ...t])),
      ),
      async (bytes) => assertContained(await sandbox.decode(bytes, { maxPixels: MAX_PIXELS })),
    ),
    fcOpts(300),
  );
  sandbox.close();
});

Deno.test("decodeImage on truncated real files gives an Image or an ImageError", async () => {
  await fc.assert(
    fc.asyncProperty(seedArb, fc.double({ min: 0, max: 1, noNaN: true }), async (s, at) => {
      const cut = seeds[s].slice(0, Math.floor(at * seeds[s].length));
      assertContained(await sandbox.decode(cut, { maxPixels: MAX_PIXELS }));
    }),
    fcOpts(300),
  );
  sandbox.close();
});

Deno.test("decodeImage on real files with bit flips (headers and anywhere) gives an Image or an ImageError", async () => {
  const flip = fc.record({ pos: fc.nat(), bit: fc.nat({ max: 7 }), header: fc.boolean() });
  await fc.assert(
    fc.asyncProperty(seedArb, fc.array(flip, { minLength: 1, maxLength: 8 }), async (s, flips) => {
      const bytes = seeds[s].slice();
      for (const f of flips) {
        const span = f.header ? Math.min(64, bytes.length) : bytes.length;
        bytes[f.pos % span] ^= 1 << f.bit;
      }
      assertContained(await sandbox.decode(bytes, { maxPixels: MAX_PIXELS }));
    }),
    fcOpts(400),
  );
  sandbox.close();
});

Deno.test("decodeImage on real files with a window of random bytes gives an Image or an ImageError", async () => {
  await fc.assert(
    fc.asyncProperty(
      seedArb,
      fc.nat(),
      fc.uint8Array({ minLength: 1, maxLength: 64 }),
      async (s, pos, junk) => {
        const bytes = seeds[s].slice();
        bytes.set(junk.subarray(0, bytes.length), pos % Math.max(1, bytes.length - junk.length));
        assertContained(await sandbox.decode(bytes, { maxPixels: MAX_PIXELS }));
      },
    ),
    fcOpts(300),
  );
  sandbox.close();
});

Deno.test("decodeImage answers an LZW TIFF whose codes loop (found by the window property: it hung)", async () => {
  // lzw.tif with 12 bytes overwritten at 105: utif2's LZW decoder follows a cyclic prefix
  // chain forever, freezing the whole process (one 2 KB upload stops the edge server).
  const bytes = seeds[SEED_NAMES.indexOf("lzw.tif")].slice();
  bytes.set([73, 88, 0, 86, 0, 0, 0, 0, 0, 0, 0, 0], 105);
  const out = await sandbox.decode(bytes, { maxPixels: MAX_PIXELS });
  sandbox.close();
  assertContained(out);
});

/**
 * An uncompressed gray TIFF whose ImageWidth/ImageLength entries have count 2: their 4-byte
 * field is then an offset (200, 208), which is what a reader ignoring the count takes as the
 * size, while utif2 follows it to `width` x `height`.
 */
function tiffWithCount2Size(width: number, height: number): Uint8Array {
  const entries = [
    [256, 4, 2, 200],
    [257, 4, 2, 208],
    [258, 3, 1, 8],
    [259, 3, 1, 1],
    [262, 3, 1, 1],
    [273, 4, 1, 216],
    [277, 3, 1, 1],
    [278, 4, 1, height],
    [279, 4, 1, 4096],
  ];
  const out = new Uint8Array(216 + 4096).fill(0x80, 216);
  const dv = new DataView(out.buffer);
  out.set([0x49, 0x49, 0x2a, 0]);
  dv.setUint32(4, 8, true);
  dv.setUint16(8, entries.length, true);
  entries.forEach(([tag, type, count, value], i) => {
    const at = 10 + i * 12;
    dv.setUint16(at, tag, true);
    dv.setUint16(at + 2, type, true);
    dv.setUint32(at + 4, count, true);
    dv.setUint32(at + 8, value, true);
  });
  for (const [at, v] of [[200, width], [204, width], [208, height], [212, height]]) {
    dv.setUint32(at, v, true);
  }
  return out;
}

Deno.test("decodeImage refuses a TIFF whose size entries have count 2 before decoding its real size", async () => {
  // The probe reads 200x208 from the offset fields; utif2 decodes 2000x2000 (and, with larger
  // values, gigabytes for minutes) before decode.ts's size cross-check refuses it.
  const out = await sandbox.decode(tiffWithCount2Size(2000, 2000), { maxPixels: 50_000 });
  sandbox.close();
  assertContained(out, 50_000);
  assert.equal(out.kind, "image_error");
});

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(kind: string, data: Uint8Array): Uint8Array {
  const body = Uint8Array.from([...new TextEncoder().encode(kind), ...data]);
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(body, 4);
  view.setUint32(8 + data.length, crc32(body));
  return out;
}
async function zlib(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("decodeImage on PNGs with random but CRC-correct headers and random pixel data gives an Image or an ImageError", async () => {
  const header = fc.record({
    width: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.nat({ max: 0xffffffff })),
    height: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.nat({ max: 0xffffffff })),
    depth: fc.constantFrom(0, 1, 2, 4, 8, 16, 3, 255),
    colour: fc.constantFrom(0, 2, 3, 4, 6, 1, 7),
    interlace: fc.constantFrom(0, 1, 2),
    seed: fc.nat(),
    rows: fc.nat({ max: 8192 }),
  });
  await fc.assert(
    fc.asyncProperty(header, async (h) => {
      const ihdr = new Uint8Array(13);
      const view = new DataView(ihdr.buffer);
      view.setUint32(0, h.width);
      view.setUint32(4, h.height);
      ihdr.set([h.depth, h.colour, 0, 0, h.interlace], 8);
      const rng = new Rng(h.seed);
      const raw = Uint8Array.from({ length: h.rows }, () => rng.int(0, 255));
      const png = Uint8Array.from([
        0x89,
        0x50,
        0x4e,
        0x47,
        0x0d,
        0x0a,
        0x1a,
        0x0a,
        ...pngChunk("IHDR", ihdr),
        ...(h.colour === 3 ? pngChunk("PLTE", raw.slice(0, 48)) : []),
        ...pngChunk("IDAT", await zlib(raw)),
        ...pngChunk("IEND", new Uint8Array(0)),
      ]);
      assertContained(await sandbox.decode(png, { maxPixels: 1 << 16 }), 1 << 16);
    }),
    fcOpts(200),
  );
  sandbox.close();
});

Deno.test("decodeImage enforces maxPixels and maxBytes exactly, from the header", async () => {
  await fc.assert(
    fc.asyncProperty(seedArb, fc.nat({ max: 2000 }), fc.nat({ max: 20000 }), async (s, p, b) => {
      const name = SEED_NAMES[s];
      if (name.endsWith(".webp")) return;
      const bytes = seeds[s];
      const size = await sandbox.decode(bytes);
      assert.equal(size.kind, "image", name);
      if (size.kind !== "image") return;
      const pixels = size.width * size.height;
      const maxPixels = Math.max(1, Math.round((p / 1000) * pixels));
      const maxBytes = Math.max(1, Math.round((b / 10000) * bytes.length));
      const out = await sandbox.decode(bytes, { maxPixels, maxBytes });
      if (bytes.length > maxBytes) {
        assert.deepEqual(out.kind === "image_error" && out.code, "too_large", name);
      } else if (pixels > maxPixels) {
        assert.deepEqual(out.kind === "image_error" && out.code, "too_many_pixels", name);
      } else {
        assert.equal(out.kind, "image", `${name}: ${JSON.stringify(out)}`);
      }
    }),
    fcOpts(150),
  );
  sandbox.close();
});
