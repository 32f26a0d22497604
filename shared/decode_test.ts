import assert from "node:assert/strict";
import { Golden, type GoldenJob, maxAbsDiff, SKIMAGE_DATA } from "../scripts/golden_preprocess.ts";
import { decodeImage } from "./decode.ts";
import { ImageError, type ImageErrorCode } from "./image_error.ts";
import { probeImage } from "./probe_image.ts";
import { Rng } from "./rng.ts";

const CHELSEA = `${SKIMAGE_DATA}/chelsea.png`;
// A 120x90 window of a real photo: detail, gradients, and small enough to keep the test fast.
const CROP = [150, 60, 270, 150];

interface FileCase {
  name: string;
  /** The `make` job, minus input/out. */
  make: Record<string, unknown>;
  format: string;
  /** Largest per-channel difference allowed against Pillow's decode. */
  tol: number;
  background?: [number, number, number];
  /** Compare against Pillow's decode of this file instead (documented deviations). */
  reference?: Record<string, unknown>;
}

const JPEG_TOL = 0; // libjpeg-turbo with Pillow's settings (decode_jpeg.ts)
const FILES: FileCase[] = [
  { name: "PNG RGB", make: { format: "PNG" }, format: "png", tol: 0 },
  { name: "PNG L", make: { format: "PNG", mode: "L" }, format: "png", tol: 0 },
  { name: "PNG P", make: { format: "PNG", mode: "P" }, format: "png", tol: 0 },
  { name: "PNG RGBA", make: { format: "PNG", alpha: "ramp" }, format: "png", tol: 0 },
  {
    name: "PNG RGBA on a coloured background",
    make: { format: "PNG", alpha: "ramp" },
    format: "png",
    tol: 0,
    background: [10, 200, 30],
  },
  { name: "PNG LA", make: { format: "PNG", alpha: "ramp", mode: "LA" }, format: "png", tol: 0 },
  {
    name: "PNG P with a transparent index",
    make: { format: "PNG", mode: "P", params: { transparency: 0 } },
    format: "png",
    tol: 0,
    background: [0, 0, 255],
  },
  { name: "PNG 16-bit RGB", make: { format: "PNG", mode: "RGB16" }, format: "png", tol: 0 },
  // Pillow's I;16 -> RGB saturates everything above 255 to white; we keep the high byte.
  {
    name: "PNG 16-bit gray",
    make: { format: "PNG", mode: "I;16" },
    format: "png",
    tol: 0,
    reference: { format: "PNG", mode: "L" },
  },
  {
    name: "JPEG RGB q90",
    make: { format: "JPEG", params: { quality: 90 } },
    format: "jpeg",
    tol: JPEG_TOL,
  },
  {
    name: "JPEG progressive 4:4:4",
    make: { format: "JPEG", params: { quality: 80, progressive: true, subsampling: 0 } },
    format: "jpeg",
    tol: JPEG_TOL,
  },
  { name: "JPEG L", make: { format: "JPEG", mode: "L" }, format: "jpeg", tol: 0 },
  { name: "JPEG CMYK", make: { format: "JPEG", mode: "CMYK" }, format: "jpeg", tol: 0 },
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((o) => ({
    name: `JPEG EXIF orientation ${o}`,
    make: { format: "JPEG", orientation: o, crop: [150, 60, 214, 100], params: { quality: 95 } },
    format: "jpeg",
    tol: JPEG_TOL,
  })),
  { name: "GIF", make: { format: "GIF" }, format: "gif", tol: 0 },
  {
    name: "GIF with transparency",
    make: { format: "GIF", mode: "P", params: { transparency: 0 } },
    format: "gif",
    tol: 0,
  },
  { name: "TIFF RGB", make: { format: "TIFF" }, format: "tiff", tol: 0 },
  {
    name: "TIFF LZW",
    make: { format: "TIFF", params: { compression: "tiff_lzw" } },
    format: "tiff",
    tol: 0,
  },
  {
    name: "TIFF deflate",
    make: { format: "TIFF", params: { compression: "tiff_deflate" } },
    format: "tiff",
    tol: 0,
  },
  {
    name: "TIFF packbits L",
    make: { format: "TIFF", mode: "L", params: { compression: "packbits" } },
    format: "tiff",
    tol: 0,
  },
  { name: "TIFF RGBA", make: { format: "TIFF", alpha: "ramp" }, format: "tiff", tol: 0 },
  { name: "BMP RGB", make: { format: "BMP" }, format: "bmp", tol: 0 },
  { name: "BMP L", make: { format: "BMP", mode: "L" }, format: "bmp", tol: 0 },
  { name: "BMP P", make: { format: "BMP", mode: "P" }, format: "bmp", tol: 0 },
  { name: "BMP 1-bit", make: { format: "BMP", mode: "1" }, format: "bmp", tol: 0 },
  {
    name: "BMP RGBA (alpha ignored, as Pillow)",
    make: { format: "BMP", alpha: "ramp" },
    format: "bmp",
    tol: 0,
  },
];

/** Pillow writes every case file, then decodes it; returns paths and Pillow's answers. */
async function makeFiles(golden: Golden) {
  const jobs: GoldenJob[] = FILES.map((c, i) => ({
    op: "make",
    input: CHELSEA,
    crop: CROP,
    ...c.make,
    out: golden.path(`case${i}`),
  }));
  for (const [i, c] of FILES.entries()) {
    if (c.reference) {
      jobs.push({
        op: "make",
        input: CHELSEA,
        crop: CROP,
        ...c.reference,
        out: golden.path(`ref${i}`),
      });
    }
  }
  const made = await golden.run(jobs);
  const decoded = await golden.run(FILES.map((c, i) => ({
    op: "decode",
    input: golden.path(c.reference ? `ref${i}` : `case${i}`),
    background: c.background ?? [255, 255, 255],
    out: golden.path(`case${i}.rgb`),
  })));
  return FILES.map((c, i) => ({
    c,
    path: golden.path(`case${i}`),
    made: made[i] as { width: number; height: number },
    pillow: decoded[i] as { width: number; height: number; error?: string },
    pillowRgb: golden.path(`case${i}.rgb`),
  }));
}

Deno.test("decodeImage matches Pillow on files Pillow writes", async () => {
  const golden = await Golden.create();
  try {
    const failures: string[] = [];
    for (const f of await makeFiles(golden)) {
      assert.equal(f.pillow.error, undefined, `${f.c.name}: Pillow could not read it back`);
      const bytes = await Deno.readFile(f.path);
      const img = await decodeImage(bytes, { background: f.c.background });
      assert.equal(img.channels, 3, f.c.name);
      assert.deepEqual([img.width, img.height], [f.pillow.width, f.pillow.height], f.c.name);
      const want = await Deno.readFile(f.pillowRgb);
      const d = maxAbsDiff(img.data, want);
      if (d > f.c.tol) failures.push(`${f.c.name}: max diff ${d} > ${f.c.tol}`);
    }
    assert.deepEqual(failures, []);
  } finally {
    await golden.close();
  }
});

Deno.test("probeImage reads format and stored size from the header", async () => {
  const golden = await Golden.create();
  try {
    for (const f of await makeFiles(golden)) {
      const bytes = await Deno.readFile(f.path);
      const p = probeImage(bytes);
      assert.equal(p.format, f.c.format, f.c.name);
      // stored size: what Pillow wrote, before any EXIF rotation
      assert.deepEqual([p.width, p.height], [f.made.width, f.made.height], f.c.name);
    }
  } finally {
    await golden.close();
  }
});

function pngHeader(width: number, height: number): Uint8Array {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const dv = new DataView(b.buffer);
  dv.setUint32(16, width);
  dv.setUint32(20, height);
  b.set([8, 2, 0, 0, 0], 24); // 8-bit RGB; the CRC is left zero
  return b;
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const le16 = (v: number) => [v & 255, v >> 8];
const le32 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];

const text = (s: string) => new TextEncoder().encode(s);

const HOSTILE: { name: string; bytes: () => Uint8Array; code: ImageErrorCode; opts?: object }[] = [
  { name: "zero bytes", bytes: () => new Uint8Array(0), code: "corrupt_image" },
  {
    name: "text",
    bytes: () => text("this is not an image, just some words\n"),
    code: "unsupported_format",
  },
  { name: "JSON", bytes: () => text('{"width": 10, "height": 10}'), code: "unsupported_format" },
  {
    name: "random bytes",
    bytes: () => {
      const rng = new Rng(7);
      return Uint8Array.from({ length: 4096 }, () => rng.int(0, 255));
    },
    code: "unsupported_format",
  },
  {
    name: "PNG header claiming 60000x60000",
    bytes: () => pngHeader(60000, 60000),
    code: "too_many_pixels",
  },
  { name: "PNG header only (100x100)", bytes: () => pngHeader(100, 100), code: "corrupt_image" },
  {
    name: "PNG signature only",
    bytes: () => pngHeader(1, 1).subarray(0, 8),
    code: "corrupt_image",
  },
  { name: "PNG 0x5", bytes: () => pngHeader(0, 5), code: "corrupt_image" },
  {
    name: "GIF screen claiming 65535x65535",
    bytes: () => concat(text("GIF89a"), le16(65535), le16(65535), [0, 0, 0]),
    code: "too_many_pixels",
  },
  {
    name: "GIF 10x10 screen with a 60000x60000 first frame",
    bytes: () =>
      concat(
        text("GIF89a"),
        le16(10),
        le16(10),
        [0, 0, 0],
        [0x21, 0xf9, 4, 0, 0, 0, 0, 0],
        [0x2c],
        le16(0),
        le16(0),
        le16(60000),
        le16(60000),
        [0, 2, 0, 0x3b],
      ),
    code: "too_many_pixels",
  },
  {
    name: "JPEG SOF claiming 65000x65000",
    bytes: () => concat([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0xfd, 0xe8, 0xfd, 0xe8, 1, 1, 0x11, 0]),
    code: "too_many_pixels",
  },
  {
    name: "JPEG SOI+EOI",
    bytes: () => new Uint8Array([0xff, 0xd8, 0xff, 0xd9]),
    code: "corrupt_image",
  },
  { name: "JPEG SOI only", bytes: () => new Uint8Array([0xff, 0xd8, 0xff]), code: "corrupt_image" },
  {
    name: "BMP claiming 100000x100000",
    bytes: () =>
      concat(text("BM"), le32(0), le32(0), le32(54), le32(40), le32(100000), le32(100000)),
    code: "too_many_pixels",
  },
  {
    name: "BMP 10x10 without pixels",
    bytes: () =>
      concat(
        text("BM"),
        le32(0),
        le32(0),
        le32(54),
        le32(40),
        le32(10),
        le32(10),
        le16(1),
        le16(24),
        new Array(24).fill(0),
      ),
    code: "corrupt_image",
  },
  {
    name: "TIFF IFD claiming 70000x70000",
    bytes: () =>
      concat(
        [0x49, 0x49, 42, 0],
        le32(8),
        le16(2),
        le16(256),
        le16(4),
        le32(1),
        le32(70000),
        le16(257),
        le16(4),
        le32(1),
        le32(70000),
      ),
    code: "too_many_pixels",
  },
  {
    name: "TIFF header only",
    bytes: () => new Uint8Array([0x49, 0x49, 42, 0, 8, 0, 0, 0]),
    code: "corrupt_image",
  },
  {
    // utif2 alone follows the "next IFD" pointer forever
    name: "TIFF whose next-IFD pointer loops to itself",
    bytes: () =>
      concat(
        [0x49, 0x49, 42, 0],
        le32(8),
        le16(2),
        le16(256),
        le16(4),
        le32(1),
        le32(4),
        le16(257),
        le16(4),
        le32(1),
        le32(4),
        le32(8),
      ),
    code: "corrupt_image",
  },
  {
    // utif2 alone spends seconds building a 4-billion-entry array
    name: "TIFF tag with a count of 2^32-1",
    bytes: () =>
      concat(
        [0x49, 0x49, 42, 0],
        le32(8),
        le16(3),
        le16(256),
        le16(4),
        le32(1),
        le32(4),
        le16(257),
        le16(4),
        le32(1),
        le32(4),
        le16(258),
        le16(3),
        le32(0xffffffff),
        le32(0),
        le32(0),
      ),
    code: "corrupt_image",
  },
  {
    name: "WebP (recognised, not supported)",
    bytes: () =>
      concat(
        text("RIFF"),
        le32(30),
        text("WEBPVP8L"),
        le32(10),
        [0x2f, 9, 0, 0, 0],
        new Array(10).fill(0),
      ),
    code: "unsupported_format",
  },
  {
    name: "over maxBytes",
    bytes: () => pngHeader(10, 10),
    code: "too_large",
    opts: { maxBytes: 20 },
  },
  {
    name: "over maxPixels",
    bytes: () => pngHeader(10, 10),
    code: "too_many_pixels",
    opts: { maxPixels: 99 },
  },
];

async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "(decoded)";
  } catch (e) {
    return e instanceof ImageError ? e.code : `not an ImageError: ${e}`;
  }
}

Deno.test("decodeImage refuses hostile inputs with the right ImageError code", async () => {
  for (const h of HOSTILE) {
    assert.equal(await errorCode(decodeImage(h.bytes(), h.opts)), h.code, h.name);
  }
});

Deno.test("decodeImage refuses truncated and damaged files with ImageError only", async () => {
  const golden = await Golden.create();
  try {
    const files = await makeFiles(golden);
    const rng = new Rng(99);
    for (const f of files) {
      const bytes = await Deno.readFile(f.path);
      // Cut inside the header and inside the pixel data: always corrupt_image.
      for (const cut of [1, 3, 12, 30, Math.floor(bytes.length / 2)]) {
        if (cut >= bytes.length) continue;
        const code = await errorCode(decodeImage(bytes.subarray(0, cut)));
        assert.ok(
          code === "corrupt_image" || (cut < 8 && code === "unsupported_format"),
          `${f.c.name} cut at ${cut}: ${code}`,
        );
      }
      // Flipped bytes may still decode (a pixel changes), but must never escape as another error.
      for (let k = 0; k < 4; k++) {
        const bad = bytes.slice();
        for (let j = 0; j < 8; j++) bad[rng.int(0, bad.length - 1)] = rng.int(0, 255);
        const code = await errorCode(decodeImage(bad, { maxPixels: 1e6 }));
        assert.ok(!code.startsWith("not an ImageError"), `${f.c.name} damaged: ${code}`);
      }
    }
  } finally {
    await golden.close();
  }
});
