/**
 * Writes the hostile-input corpus that `tests/corpus_test.ts` sends to a real edge server:
 * broken, hostile and unusual images, malformed multipart bodies, bad query values, raw HTTP
 * oddities and auth mistakes, each with its documented outcome in `manifest.json`.
 *
 * Deterministic: the base images come from Pillow (`/usr/bin/python3`) and every mutation
 * (truncation points, bit flips, random bytes) from a seeded `Rng`. Nothing here is committed:
 * the output folder (default `tests/corpus/`) is gitignored.
 *
 *   deno run -A scripts/make_corpus.ts [--out tests/corpus]
 * @module
 */
import { Rng } from "../shared/rng.ts";

/** The API key the corpus server runs with; cases with `auth: true` send it. */
export const CORPUS_API_KEY = "corpus-key-7f3a9c";

/**
 * The server environment every expectation assumes (on top of MODEL_PATH and EDGE_ENGINE):
 * a 1 MiB body limit keeps the "huge" cases small, a batch of at most 8 files.
 */
export const CORPUS_ENV: Record<string, string> = {
  API_KEY: CORPUS_API_KEY,
  MAX_BODY_BYTES: String(1024 * 1024),
  MAX_PIXELS: "25000000",
  BATCH_MAX_FILES: "8",
  QUEUE_LIMIT: "64",
  // Not read by the edge yet (see the slow-sender test): the deadline for a whole request body.
  REQUEST_TIMEOUT_MS: "2000",
};

/** The tiny test model's labels (scripts/make_tiny_onnx.py defaults): 5 classes. */
export const CORPUS_NUM_LABELS = 5;

/**
 * One acceptable outcome: an HTTP status with, for errors, the stable `error.code`.
 * Raw-socket cases may also accept `closed` (the server closed without answering) or
 * `non_http1` (it answered in another protocol, e.g. HTTP/2 frames to an h2c preface).
 */
export interface Outcome {
  status: number | "closed" | "non_http1";
  code?: string;
}

/** A request made with `fetch`. `body` names a file under `files/`. */
export interface HttpRequestSpec {
  kind: "http";
  method: string;
  /** Path and query, e.g. `/v1/classify?top_k=1`. */
  path: string;
  headers: Record<string, string>;
  body: string | null;
  /** Add `Authorization: Bearer <CORPUS_API_KEY>`. */
  auth: boolean;
}

/** Bytes written as-is on a TCP socket (`file` under `files/`), then the write side is shut. */
export interface RawRequestSpec {
  kind: "raw";
  file: string;
}

/**
 * A sender that stops mid-request and keeps the connection open: after the headers
 * (`phase: "body"`, with a Content-Length it never completes) or inside them.
 */
export interface SlowRequestSpec {
  kind: "slow";
  phase: "headers" | "body";
  file: string;
}

/** One corpus case and its documented outcome. */
export interface CorpusCase {
  id: string;
  group: string;
  description: string;
  request: HttpRequestSpec | RawRequestSpec | SlowRequestSpec;
  /** Any of these is correct; never a 5xx. */
  expect: Outcome[];
  /** For a 200 classify answer: the exact number of predictions. */
  predictions?: number;
  /** For a 200 batch answer: per file, null (predictions) or the error code. */
  items?: (string | null)[];
}

/** `manifest.json`. */
export interface CorpusManifest {
  version: 1;
  generator: string;
  env: Record<string, string>;
  numLabels: number;
  cases: CorpusCase[];
}

// Pillow writes the base images; hand-written bytes cover what Pillow refuses to write
// (16-bit RGB PNG, bombs, malformed headers, polyglots). Output names are listed in the cases.
const PILLOW_SCRIPT = String.raw`import struct, sys, zlib, zipfile, io
from PIL import Image, ImageDraw
d = sys.argv[1]

def photo(w, h, shift=0):
    im = Image.new("RGB", (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            px[x, y] = ((x * 255) // max(1, w - 1), (y * 255) // max(1, h - 1), ((x + y + shift) * 7) % 256)
    draw = ImageDraw.Draw(im)
    draw.ellipse((w // 4 + shift, h // 4, 3 * w // 4 + shift, 3 * h // 4), fill=(230, 40, 40))
    draw.line((0, 0, w, h), fill=(0, 0, 0), width=2)
    return im

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

def png(w, h, depth, ctype, raw_rows, ihdr=None):
    ihdr = ihdr or struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw_rows)) + chunk(b"IEND", b"")

def put(name, data):
    open(f"{d}/{name}", "wb").write(data)

base = photo(48, 36)
base.save(f"{d}/rgb.png")
base.save(f"{d}/rgb.jpg", quality=90)
base.save(f"{d}/progressive.jpg", quality=85, progressive=True)
base.save(f"{d}/rgb444.jpg", quality=90, subsampling=0)
base.convert("L").save(f"{d}/gray.jpg", quality=90)
base.convert("CMYK").save(f"{d}/cmyk.jpg", quality=90)
base.convert("L").save(f"{d}/gray.png")
base.convert("1").save(f"{d}/bilevel.png")
rgba = base.convert("RGBA")
rgba.putalpha(Image.linear_gradient("L").resize(base.size))
rgba.save(f"{d}/rgba.png")
rgba.convert("LA").save(f"{d}/la.png")
pal = base.convert("P", palette=Image.ADAPTIVE, colors=16)
pal.save(f"{d}/palette.png")
pal.save(f"{d}/palette_trns.png", transparency=0)
Image.frombytes("I;16", (20, 10), bytes((i * 37) % 256 for i in range(400))).save(f"{d}/gray16.png")
# 16-bit RGB: Pillow cannot write it, so the rows are written by hand (filter byte 0 per row).
rows16 = b"".join(b"\0" + b"".join(struct.pack(">HHH", x * 4000, y * 6000, 65535 - x * 3000) for x in range(12)) for y in range(8))
put("rgb16.png", png(12, 8, 16, 2, rows16))
pal.save(f"{d}/rgb.gif")
pal.save(f"{d}/trns.gif", transparency=0)
frames = [photo(32, 24, s).convert("P", palette=Image.ADAPTIVE, colors=32) for s in range(0, 12, 4)]
frames[0].save(f"{d}/anim.gif", save_all=True, append_images=frames[1:], duration=40, loop=0)
base.save(f"{d}/rgb.bmp")
pal.save(f"{d}/palette.bmp")
base.convert("1").save(f"{d}/bilevel.bmp")
rgba.save(f"{d}/rgba.bmp")
base.save(f"{d}/rgb.tif")
base.save(f"{d}/lzw.tif", compression="tiff_lzw")
base.save(f"{d}/packbits.tif", compression="packbits")
base.save(f"{d}/deflate.tif", compression="tiff_adobe_deflate")
base.convert("L").save(f"{d}/gray.tif")
# A real photo (Debian's python3-skimage ships it) tagged with each EXIF orientation.
try:
    cat = Image.open("/usr/lib/python3/dist-packages/skimage/data/chelsea.png").convert("RGB")
    cat = cat.resize((90, 60), Image.BILINEAR)
except OSError:
    cat = photo(90, 60)
for o in range(1, 9):
    exif = Image.Exif()
    exif[0x0112] = o
    cat.save(f"{d}/exif_{o}.jpg", quality=90, exif=exif.tobytes())
try:
    base.save(f"{d}/rgb.webp", quality=80)
except Exception:
    pass
base.save(f"{d}/rgb.ico")
import time
fixed = time.gmtime(1704067200)  # fixed dates keep the corpus byte-identical
base.save(f"{d}/rgb.pdf", creationDate=fixed, modDate=fixed)
Image.new("RGB", (1, 1), (9, 9, 9)).save(f"{d}/one.png")
Image.new("RGB", (2000, 1), (9, 99, 9)).save(f"{d}/wide.png")
Image.new("RGB", (1, 2000), (99, 9, 9)).save(f"{d}/tall.png")
Image.new("RGB", (3000, 3000), (30, 200, 30)).save(f"{d}/big_3000.png")

# A real (legal) decompression bomb just under 25 MP: 4900x5000 black, ~70 KB of zlib.
w, h = 4900, 5000
z = zlib.compressobj(9)
row = b"\0" * (1 + w * 3)
idat = b"".join(z.compress(row) for _ in range(h)) + z.flush()
put("black_4900x5000.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))

tiny_rows = b"\0" * 64
put("bomb_65535.png", png(65535, 65535, 8, 2, tiny_rows))
put("bomb_5001x5000.png", png(5001, 5000, 8, 2, tiny_rows))
put("bomb_wide.png", png(2**31 - 1, 1, 8, 2, tiny_rows))
put("zero_width.png", png(0, 10, 8, 2, tiny_rows))
put("short_idat.png", png(100, 100, 8, 2, b"".join(b"\0" + b"\x80" * 30 for _ in range(10))))
put("bad_depth.png", png(4, 4, 3, 2, b"\0" * 20))
put("bad_ctype.png", png(4, 4, 8, 7, b"\0" * 20))
good = open(f"{d}/rgb.png", "rb").read()
put("no_idat.png", good[:33] + chunk(b"IEND", b""))
put("not_ihdr_first.png", b"\x89PNG\r\n\x1a\n" + chunk(b"tEXt", b"a\0b") + good[8:])
bad_crc = bytearray(good)
idat_at = good.index(b"IDAT")
ln = struct.unpack(">I", good[idat_at - 4: idat_at])[0]
bad_crc[idat_at + 4 + ln] ^= 0xFF
put("bad_crc.png", bytes(bad_crc))
put("html_in_png.png", good[:33] + chunk(b"tEXt", b"Comment\0<html><script>alert(1)</script></html>") + good[33:])

jpg = open(f"{d}/rgb.jpg", "rb").read()
sof = jpg.index(b"\xff\xc0")
def patch(b, at, new):
    return b[:at] + new + b[at + len(new):]
put("bomb_65535.jpg", patch(jpg, sof + 5, struct.pack(">HH", 65535, 65535)))
put("sof3.jpg", patch(jpg, sof + 1, b"\xc3"))
put("sof9.jpg", patch(jpg, sof + 1, b"\xc9"))
put("no_sof.jpg", b"\xff\xd8\xff\xd9")
put("zero_dim.jpg", patch(jpg, sof + 5, struct.pack(">HH", 0, 48)))
zbuf = io.BytesIO()
with zipfile.ZipFile(zbuf, "w") as zf:
    zf.writestr(zipfile.ZipInfo("payload.js", date_time=(2024, 1, 1, 0, 0, 0)), "alert(1)\n" * 20)
put("jpeg_zip_polyglot.jpg", jpg + zbuf.getvalue())
put("zip.bin", zbuf.getvalue())
put("jpeg_big_comment.jpg", jpg[:2] + (b"\xff\xfe" + struct.pack(">H", 65535) + b"<?php system($_GET['c']); ?>".ljust(65533, b" ")) * 8 + jpg[2:])
put("jpeg_many_app.jpg", jpg[:2] + (b"\xff\xe5\x00\x04ab") * 5000 + jpg[2:])

def gif(screen_w, screen_h, frame_w, frame_h, tail=b"\x3b", lzw=None, prefix=b"GIF89a"):
    head = prefix + struct.pack("<HHBBB", screen_w, screen_h, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    desc = b"\x2c" + struct.pack("<HHHHB", 0, 0, frame_w, frame_h, 0)
    data = lzw if lzw is not None else b"\x02\x02\x44\x01\x00"
    return head + desc + data + tail
put("bomb_65535.gif", gif(65535, 65535, 1, 1))
put("bomb_frame.gif", gif(8, 8, 65535, 65535))
put("no_frames.gif", b"GIF89a" + struct.pack("<HHBBB", 8, 8, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff" + b"\x3b")
# GIF/JS polyglot: the logical screen width is the bytes "/*" (10799 px), and the file ends
# with "*/=1;" after the trailer, so a browser would also run it as a script.
put("gif_js_polyglot.gif", b"GIF89a/*\x0a\x00\x80\x00\x00\0\0\0\xff\xff\xff" + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00" + b"\x3b" + b"*/=1;alert(1);//")

def tiff(entries, extra=b"", ifd_at=8, next_ifd=0):
    body = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries) + struct.pack("<I", next_ifd)
    return b"II*\0" + struct.pack("<I", ifd_at) + body + extra
def tiff_entries(w, h, strip_at, strip_len):
    return [(256, 4, 1, w), (257, 4, 1, h), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1), (273, 4, 1, strip_at), (277, 3, 1, 1), (278, 4, 1, h), (279, 4, 1, strip_len)]
put("bomb_huge.tif", tiff(tiff_entries(100000, 100000, 200, 16)) + b"\0" * 64)
put("strip_past_end.tif", tiff(tiff_entries(8, 8, 10_000_000, 64)))
put("ifd_past_end.tif", b"II*\0" + struct.pack("<I", 1 << 30))
put("ifd_loop.tif", tiff(tiff_entries(8, 8, 8 + 2 + 9 * 12 + 4, 64), b"\x80" * 64, next_ifd=8))
put("ifd_count_huge.tif", b"II*\0\x08\0\0\0\xff\xff" + b"\0" * 40)

# Denial of service: the 32x24 LZW TIFF of shared/decode_property_test.ts with 12 bytes of its
# strip overwritten (utif2's LZW decoder then follows a cyclic code chain forever), and a TIFF
# whose ImageWidth/ImageLength have count 2 (their field is an offset: 200x208 to a reader that
# ignores the count, 65536x65536 to utif2, which decodes for minutes and gigabytes).
im = Image.new("RGB", (32, 24))
px = im.load()
for y in range(24):
    for x in range(32):
        px[x, y] = (x * 8, y * 10, (x * y) % 256)
ImageDraw.Draw(im).ellipse((6, 4, 26, 20), fill=(220, 30, 30))
im.save(f"{d}/lzw_small.tif", compression="tiff_lzw")
lzw = bytearray(open(f"{d}/lzw_small.tif", "rb").read())
lzw[105:117] = bytes([73, 88, 0, 86, 0, 0, 0, 0, 0, 0, 0, 0])
put("lzw_loop.tif", bytes(lzw))
count2 = [(256, 4, 2, 200), (257, 4, 2, 208), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1), (273, 4, 1, 216), (277, 3, 1, 1), (278, 4, 1, 65536), (279, 4, 1, 4096)]
head = b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", len(count2)) + b"".join(struct.pack("<HHII", *e) for e in count2) + struct.pack("<I", 0)
put("size_count2.tif", head.ljust(200, b"\0") + struct.pack("<IIII", 65536, 65536, 65536, 65536) + b"\x80" * 4096)

def bmp(w, h, bpp=24, pixels=b""):
    header = struct.pack("<IiiHHIIiiII", 40, w, h, 1, bpp, 0, len(pixels), 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + 40 + len(pixels), 0, 0, 54) + header + pixels
put("bomb_65535.bmp", bmp(65535, 65535))
put("bomb_negative.bmp", bmp(16, -2**31))
put("truncated_pixels.bmp", bmp(64, 64, 24, b"\x10" * 100))
put("bpp0.bmp", bmp(4, 4, 0, b"\0" * 64))
# WebP VP8X header claiming 16384x16384 (canvas size minus one, 24-bit little endian)
vp8x = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + (16383).to_bytes(3, "little") * 2
put("bomb_vp8x.webp", b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x)
`;

const enc = new TextEncoder();
const bytesOf = (s: string) => enc.encode(s);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

interface Part {
  name: string;
  filename?: string;
  type?: string;
  data: Uint8Array;
  extraHeaders?: string;
}

/** A multipart/form-data body; `close: false` leaves out the final boundary. */
function multipart(boundary: string, parts: Part[], close = true): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    const disp = `form-data; name="${p.name}"` +
      (p.filename !== undefined ? `; filename="${p.filename}"` : "");
    const type = p.type ?? (p.filename !== undefined ? "application/octet-stream" : undefined);
    chunks.push(
      bytesOf(
        `--${boundary}\r\nContent-Disposition: ${disp}\r\n` +
          (type ? `Content-Type: ${type}\r\n` : "") + (p.extraHeaders ?? "") + "\r\n",
      ),
      p.data,
      bytesOf("\r\n"),
    );
  }
  if (close) chunks.push(bytesOf(`--${boundary}--\r\n`));
  return concat(...chunks);
}

const ok = (): Outcome[] => [{ status: 200 }];
const err = (status: number, code: string): Outcome[] => [{ status, code }];
const corrupt = () => err(422, "corrupt_image");
const unsupported = () => err(415, "unsupported_format");
const bomb = () => err(413, "too_many_pixels");
/** A damaged image may still decode (decoders tolerate some damage) or be refused as corrupt. */
const okOrCorrupt = (): Outcome[] => [{ status: 200 }, ...corrupt()];
/** A random mutation may hit the magic bytes, the size fields or the data. */
const anyImageOutcome = (): Outcome[] => [
  { status: 200 },
  ...corrupt(),
  ...unsupported(),
  ...bomb(),
];

/** Builds every case; `files` receives the body bytes under their names. */
class CorpusBuilder {
  readonly cases: CorpusCase[] = [];
  readonly files = new Map<string, Uint8Array>();

  file(name: string, data: Uint8Array): string {
    if (this.files.has(name)) throw new Error(`duplicate corpus file ${name}`);
    this.files.set(name, data);
    return name;
  }

  /** POST the bytes as the raw body of /v1/classify. */
  classify(
    id: string,
    group: string,
    description: string,
    data: Uint8Array,
    expect: Outcome[],
    opts: { query?: string; headers?: Record<string, string>; predictions?: number } = {},
  ): void {
    const body = this.file(`${id}.bin`, data);
    const predictions = opts.predictions ??
      (expect.length === 1 && expect[0].status === 200 ? 5 : undefined);
    this.cases.push({
      id,
      group,
      description,
      request: {
        kind: "http",
        method: "POST",
        path: `/v1/classify${opts.query ?? ""}`,
        headers: opts.headers ?? { "Content-Type": "application/octet-stream" },
        body,
        auth: true,
      },
      expect,
      ...(predictions !== undefined ? { predictions } : {}),
    });
  }

  http(
    id: string,
    group: string,
    description: string,
    req: Partial<HttpRequestSpec> & { path: string },
    data: Uint8Array | null,
    expect: Outcome[],
    extra: Partial<Pick<CorpusCase, "predictions" | "items">> = {},
  ): void {
    this.cases.push({
      id,
      group,
      description,
      request: {
        kind: "http",
        method: req.method ?? "POST",
        path: req.path,
        headers: req.headers ?? {},
        body: data ? this.file(`${id}.bin`, data) : null,
        auth: req.auth ?? true,
      },
      expect,
      ...extra,
    });
  }

  raw(id: string, group: string, description: string, data: Uint8Array, expect: Outcome[]): void {
    this.cases.push({
      id,
      group,
      description,
      request: { kind: "raw", file: this.file(`${id}.http`, data) },
      expect,
    });
  }
}

async function runPillow(dir: string): Promise<void> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", PILLOW_SCRIPT, dir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`make_corpus: Pillow script failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

/**
 * Writes the corpus into `dir` (`manifest.json` and `files/`) and returns the manifest.
 * Deterministic: the same Pillow version gives byte-identical files.
 */
export async function makeCorpus(dir: string): Promise<CorpusManifest> {
  const srcDir = await Deno.makeTempDir({ prefix: "corpus_src_" });
  try {
    await runPillow(srcDir);
    const src = async (name: string) => await Deno.readFile(`${srcDir}/${name}`);
    const b = new CorpusBuilder();
    await addImageCases(b, src);
    await addMutationCases(b, src);
    await addRequestCases(b, src);
    await Deno.remove(`${dir}/files`, { recursive: true }).catch(() => {});
    await Deno.mkdir(`${dir}/files`, { recursive: true });
    for (const [name, data] of b.files) await Deno.writeFile(`${dir}/files/${name}`, data);
    const manifest: CorpusManifest = {
      version: 1,
      generator: "scripts/make_corpus.ts",
      env: CORPUS_ENV,
      numLabels: CORPUS_NUM_LABELS,
      cases: b.cases,
    };
    await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(manifest, null, 1) + "\n");
    return manifest;
  } finally {
    await Deno.remove(srcDir, { recursive: true });
  }
}

type Src = (name: string) => Promise<Uint8Array>;

async function addImageCases(b: CorpusBuilder, src: Src): Promise<void> {
  const good: [string, string][] = [
    ["rgb.png", "RGB PNG"],
    ["rgb.jpg", "baseline JPEG 4:2:0"],
    ["progressive.jpg", "progressive JPEG"],
    ["rgb444.jpg", "JPEG 4:4:4"],
    ["gray.jpg", "grayscale JPEG"],
    ["cmyk.jpg", "CMYK JPEG (Adobe inverted)"],
    ["gray.png", "grayscale PNG"],
    ["bilevel.png", "1-bit PNG"],
    ["rgba.png", "RGBA PNG, alpha ramp (composited on the background)"],
    ["la.png", "grayscale + alpha PNG"],
    ["palette.png", "palette PNG"],
    ["palette_trns.png", "palette PNG with a transparent index (tRNS)"],
    ["gray16.png", "16-bit grayscale PNG"],
    ["rgb16.png", "16-bit RGB PNG"],
    ["rgb.gif", "GIF"],
    ["trns.gif", "GIF with a transparent index"],
    ["anim.gif", "animated GIF (first frame is used)"],
    ["rgb.bmp", "24-bit BMP"],
    ["palette.bmp", "8-bit palette BMP"],
    ["bilevel.bmp", "1-bit BMP"],
    ["rgba.bmp", "32-bit BMP"],
    ["rgb.tif", "uncompressed TIFF"],
    ["lzw.tif", "LZW TIFF"],
    ["packbits.tif", "PackBits TIFF"],
    ["deflate.tif", "Deflate TIFF"],
    ["gray.tif", "grayscale TIFF"],
    ["one.png", "1x1 PNG"],
    ["wide.png", "2000x1 PNG (extreme aspect ratio)"],
    ["tall.png", "1x2000 PNG (extreme aspect ratio)"],
    ["big_3000.png", "3000x3000 PNG (9 MP, 33 KB)"],
    ["black_4900x5000.png", "4900x5000 black PNG: a 70 KB file that inflates to 73 MB, legal"],
    ["html_in_png.png", "PNG with <script> in a tEXt chunk"],
    ["jpeg_zip_polyglot.jpg", "polyglot: JPEG followed by a ZIP archive"],
    ["gif_js_polyglot.gif", "polyglot: GIF whose header and tail are also JavaScript"],
    ["jpeg_big_comment.jpg", "JPEG with 8 x 64 KB COM segments holding PHP"],
    ["jpeg_many_app.jpg", "JPEG with 5000 empty APP5 segments"],
    ["ifd_loop.tif", "TIFF whose next-IFD offset points at itself (first page used)"],
  ];
  for (const [name, what] of good) {
    b.classify(`image_${name.replace(/\W/g, "_")}`, "image_ok", what, await src(name), ok());
  }
  for (let o = 1; o <= 8; o++) {
    b.classify(
      `image_exif_orientation_${o}`,
      "image_ok",
      `photo (JPEG) with EXIF orientation ${o}`,
      await src(`exif_${o}.jpg`),
      ok(),
    );
  }
  const bombs: [string, string][] = [
    ["bomb_65535.png", "PNG IHDR claims 65535x65535"],
    ["bomb_5001x5000.png", "PNG one row over the 25 MP limit"],
    ["bomb_wide.png", "PNG IHDR claims 2147483647x1"],
    ["bomb_65535.jpg", "JPEG SOF0 claims 65535x65535"],
    ["bomb_65535.gif", "GIF logical screen claims 65535x65535"],
    ["bomb_frame.gif", "GIF 8x8 screen whose first frame claims 65535x65535"],
    ["bomb_huge.tif", "TIFF IFD claims 100000x100000"],
    ["bomb_65535.bmp", "BMP claims 65535x65535"],
    ["bomb_negative.bmp", "BMP height -2^31 (top-down, overflows abs)"],
    ["bomb_vp8x.webp", "WebP VP8X claims 16384x16384 (refused on size before format)"],
  ];
  for (const [name, what] of bombs) {
    b.classify(
      `bomb_${name.replace(/^bomb_?/, "").replace(/\W/g, "_")}`,
      "bomb",
      what,
      await src(name),
      bomb(),
    );
  }
  const broken: [string, string, Outcome[]][] = [
    ["zero_width.png", "PNG with width 0", corrupt()],
    ["short_idat.png", "PNG 100x100 whose IDAT holds 10 rows", corrupt()],
    ["bad_depth.png", "PNG bit depth 3", corrupt()],
    ["bad_ctype.png", "PNG colour type 7", corrupt()],
    ["no_idat.png", "PNG without IDAT", corrupt()],
    ["not_ihdr_first.png", "PNG whose first chunk is tEXt", corrupt()],
    ["bad_crc.png", "PNG with a wrong IDAT CRC", okOrCorrupt()],
    ["no_sof.jpg", "JPEG SOI then EOI", corrupt()],
    ["zero_dim.jpg", "JPEG SOF height 0", corrupt()],
    ["sof3.jpg", "JPEG marked lossless (SOF3)", [...unsupported(), ...corrupt()]],
    ["sof9.jpg", "JPEG marked arithmetic (SOF9)", [...unsupported(), ...corrupt()]],
    ["no_frames.gif", "GIF with no image", corrupt()],
    ["strip_past_end.tif", "TIFF strip offset past the end", corrupt()],
    ["ifd_past_end.tif", "TIFF first IFD past the end", corrupt()],
    ["ifd_count_huge.tif", "TIFF IFD with 65535 entries in 40 bytes", corrupt()],
    ["truncated_pixels.bmp", "BMP with 100 of 12288 pixel bytes", corrupt()],
    ["bpp0.bmp", "BMP with 0 bits per pixel", [...corrupt(), ...unsupported()]],
  ];
  for (const [name, what, expect] of broken) {
    b.classify(`broken_${name.replace(/\W/g, "_")}`, "image_broken", what, await src(name), expect);
  }
  const notImages: [string, string, Uint8Array][] = [
    ["svg", "SVG", bytesOf('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>')],
    ["html", "HTML", bytesOf("<!doctype html><html><body><img src=x onerror=alert(1)>")],
    ["json", "JSON", bytesOf('{"image": "iVBORw0KGgo=", "top_k": 1}')],
    ["xml", "XML", bytesOf('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')],
    ["text", "plain text", bytesOf("hello, I am not an image\n".repeat(8))],
    ["pdf", "PDF (Pillow)", await src("rgb.pdf")],
    ["ico", "ICO (Pillow)", await src("rgb.ico")],
    ["zip", "ZIP archive", await src("zip.bin")],
    ["webp", "WebP (recognised, not supported)", await src("rgb.webp")],
    ["elf", "ELF header", concat(bytesOf("\x7fELF"), new Uint8Array(60))],
    ["psd", "Photoshop header", concat(bytesOf("8BPS"), new Uint8Array(60))],
    ["avif", "AVIF ftyp box", concat(bytesOf("\0\0\0\x1cftypavif"), new Uint8Array(40))],
    ["utf16_text", "UTF-16 text with BOM", new Uint8Array([0xff, 0xfe, 0x68, 0, 0x69, 0])],
    ["zeros_1k", "1 KiB of zero bytes", new Uint8Array(1024)],
    ["one_byte", "the single byte 0xFF", new Uint8Array([0xff])],
    ["jpeg_two_bytes", "FF D8 only (too short for the JPEG magic)", new Uint8Array([0xff, 0xd8])],
  ];
  for (const [id, what, data] of notImages) {
    b.classify(`not_image_${id}`, "not_image", `${what} sent as an image`, data, unsupported());
  }
  const headersOnly: [string, string, Uint8Array][] = [
    ["jpeg", "JPEG magic only", new Uint8Array([0xff, 0xd8, 0xff])],
    ["png", "PNG signature only", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10])],
    ["gif", "GIF89a only", bytesOf("GIF89a")],
    ["bmp", "BM only", bytesOf("BM")],
    ["tiff", "TIFF byte order only", bytesOf("II*\0")],
  ];
  for (const [id, what, data] of headersOnly) {
    b.classify(`magic_only_${id}`, "image_broken", what, data, corrupt());
  }
  b.classify(
    "text_as_image_png",
    "not_image",
    "text with Content-Type image/png",
    bytesOf("definitely not a PNG"),
    unsupported(),
    { headers: { "Content-Type": "image/png" } },
  );
  b.classify(
    "html_as_image_jpeg",
    "not_image",
    "HTML with Content-Type image/jpeg",
    bytesOf("<html><script>alert(1)</script></html>"),
    unsupported(),
    { headers: { "Content-Type": "image/jpeg" } },
  );
}

async function addMutationCases(b: CorpusBuilder, src: Src): Promise<void> {
  const rng = new Rng(20240611);
  // Truncations: 16 bytes cuts inside every header (corrupt); later cuts may still decode.
  for (const name of ["rgb.png", "rgb.jpg", "progressive.jpg", "rgb.gif", "anim.gif"]) {
    const data = await src(name);
    const cuts = [16, Math.floor(data.length * 0.25), Math.floor(data.length * 0.5)];
    cuts.push(Math.floor(data.length * 0.9), data.length - 1);
    for (const cut of cuts) {
      b.classify(
        `truncated_${name.replace(/\W/g, "_")}_${cut}`,
        "truncated",
        `${name} cut to ${cut} of ${data.length} bytes`,
        data.slice(0, cut),
        cut === 16 ? corrupt() : okOrCorrupt(),
      );
    }
  }
  // Bit flips: half land in the first 64 bytes (headers), half anywhere.
  for (const name of ["rgb.png", "rgb.jpg", "progressive.jpg", "rgb.gif", "rgb.bmp", "lzw.tif"]) {
    const data = await src(name);
    for (let v = 0; v < 6; v++) {
      const out = data.slice();
      const flips = v < 4 ? 1 : v === 4 ? 8 : 0;
      const where: number[] = [];
      for (let f = 0; f < flips; f++) {
        const at = v % 2 === 0
          ? rng.int(0, Math.min(63, out.length - 1))
          : rng.int(0, out.length - 1);
        out[at] ^= 1 << rng.int(0, 7);
        where.push(at);
      }
      if (v === 5) {
        // 16 random bytes over a random window.
        const at = rng.int(0, out.length - 16);
        for (let i = 0; i < 16; i++) out[at + i] = rng.int(0, 255);
        where.push(at);
      }
      b.classify(
        `bitflip_${name.replace(/\W/g, "_")}_${v}`,
        "bitflip",
        `${name} with ${v === 5 ? "16 random bytes" : `${flips} bit flip(s)`} at ${
          where.join(",")
        }`,
        out,
        anyImageOutcome(),
      );
    }
  }
  // Valid magic bytes followed by random bytes.
  const magics: [string, number[]][] = [
    ["png", [0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]],
    ["jpeg", [0xff, 0xd8, 0xff]],
    ["gif", [...bytesOf("GIF89a")]],
    ["tiff", [...bytesOf("II*\0")]],
    ["bmp", [...bytesOf("BM")]],
    ["webp", [...bytesOf("RIFF\0\0\0\0WEBPVP8 ")]],
  ];
  for (const [id, magic] of magics) {
    const data = new Uint8Array(4096);
    for (let i = 0; i < data.length; i++) data[i] = rng.int(0, 255);
    data.set(magic);
    b.classify(
      `magic_then_random_${id}`,
      "random",
      `${id} magic bytes then 4 KiB of random bytes`,
      data,
      anyImageOutcome(),
    );
  }
  const noise = new Uint8Array(4096);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.int(0, 255);
  noise[0] = 0x00; // no format starts with a zero byte
  b.classify("random_4k", "random", "4 KiB of random bytes", noise, unsupported());
}

async function addRequestCases(b: CorpusBuilder, src: Src): Promise<void> {
  const png = await src("rgb.png");
  const jpg = await src("rgb.jpg");
  const key = `Bearer ${CORPUS_API_KEY}`;

  // Empty bodies.
  b.http(
    "empty_body",
    "body",
    "POST /v1/classify with zero bytes",
    { path: "/v1/classify" },
    null,
    err(400, "missing_image"),
  );
  b.classify(
    "empty_body_typed",
    "body",
    "zero bytes with Content-Type image/png",
    new Uint8Array(0),
    err(400, "missing_image"),
    { headers: { "Content-Type": "image/png" } },
  );
  b.classify(
    "too_large_body",
    "body",
    "1.5 MiB raw body over the 1 MiB limit",
    new Uint8Array(1536 * 1024),
    err(413, "too_large"),
  );
  b.classify(
    "png_as_json",
    "body",
    "PNG with Content-Type application/json (format is sniffed)",
    png,
    ok(),
    { headers: { "Content-Type": "application/json" } },
  );
  b.classify("png_as_text", "body", "PNG with Content-Type text/plain", png, ok(), {
    headers: { "Content-Type": "text/plain" },
  });
  const gz = new Uint8Array(
    await new Response(
      new Blob([png as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
        new CompressionStream("gzip"),
      ),
    ).arrayBuffer(),
  );
  b.classify(
    "gzip_encoded_png",
    "body",
    "gzipped PNG with Content-Encoding: gzip (not inflated)",
    gz,
    unsupported(),
    { headers: { "Content-Encoding": "gzip", "Content-Type": "image/png" } },
  );

  // Query parameters on a good image.
  const queries: [string, string, Outcome[], number?][] = [
    ["top_k_minus_1", "?top_k=-1", err(400, "invalid_parameter")],
    ["top_k_1e9", "?top_k=1e9", ok(), 5],
    ["top_k_nan", "?top_k=NaN", err(400, "invalid_parameter")],
    ["top_k_abc", "?top_k=abc", err(400, "invalid_parameter")],
    ["top_k_empty", "?top_k=", err(400, "invalid_parameter")],
    ["top_k_zero", "?top_k=0", ok(), 5],
    ["top_k_two", "?top_k=2", ok(), 2],
    ["top_k_fraction", "?top_k=1.5", err(400, "invalid_parameter")],
    ["top_k_hex", "?top_k=0x10", err(400, "invalid_parameter")],
    ["top_k_infinity", "?top_k=1e999", ok(), 5],
    ["top_k_10k_digits", `?top_k=${"9".repeat(10000)}`, ok(), 5],
    ["top_k_10k_letters", `?top_k=${"a".repeat(10000)}`, err(400, "invalid_parameter")],
    ["top_k_nul", "?top_k=%00", err(400, "invalid_parameter")],
    ["top_k_bad_percent", "?top_k=%E0%A4%A", err(400, "invalid_parameter")],
    ["top_k_arabic_digit", "?top_k=%D9%A3", err(400, "invalid_parameter")],
    ["top_k_twice", "?top_k=1&top_k=2", err(400, "invalid_parameter")],
    ["threshold_2", "?threshold=2", err(400, "invalid_parameter")],
    ["threshold_negative", "?threshold=-0.1", err(400, "invalid_parameter")],
    ["threshold_nan", "?threshold=NaN", err(400, "invalid_parameter")],
    ["threshold_tiny", "?threshold=1e-400&top_k=3", ok(), 3],
    ["unknown_param", "?foo=bar&%zz=1", ok(), 5],
  ];
  for (const [id, query, expect, predictions] of queries) {
    b.classify(`query_${id}`, "query", `query ${query.slice(0, 60)}`, png, expect, {
      query,
      predictions,
    });
  }
  // threshold=1 keeps only a prediction scoring exactly 1: the count is not fixed.
  b.http(
    "query_threshold_1",
    "query",
    "threshold=1",
    { path: "/v1/classify?threshold=1" },
    png,
    ok(),
  );

  // Multipart.
  const B = "corpusBoundary7d1";
  const mp = (boundary = B) => ({ "Content-Type": `multipart/form-data; boundary=${boundary}` });
  const img = (data: Uint8Array, filename = "a.png"): Part => ({
    name: "image",
    filename,
    data,
    type: "image/png",
  });
  const mpCases: [
    string,
    string,
    string,
    Record<string, string>,
    Uint8Array,
    Outcome[],
    Partial<CorpusCase>?,
  ][] = [
    ["ok", "/v1/classify", "one image part", mp(), multipart(B, [img(png)]), ok(), {
      predictions: 5,
    }],
    [
      "no_boundary",
      "/v1/classify",
      "multipart Content-Type without boundary",
      { "Content-Type": "multipart/form-data" },
      multipart(B, [img(png)]),
      err(400, "invalid_multipart"),
    ],
    [
      "wrong_boundary",
      "/v1/classify",
      "declared boundary never appears",
      mp("otherBoundary"),
      multipart(B, [img(png)]),
      err(400, "invalid_multipart"),
    ],
    [
      "unterminated",
      "/v1/classify",
      "no closing boundary (Deno's parser drops the unterminated part: missing_image)",
      mp(),
      multipart(B, [img(png)], false),
      [...err(400, "invalid_multipart"), ...err(400, "missing_image")],
    ],
    [
      "garbage",
      "/v1/classify",
      "multipart header, PNG bytes as the body",
      mp(),
      png,
      err(400, "invalid_multipart"),
    ],
    [
      "wrong_field",
      "/v1/classify",
      "the file is in field 'file', not 'image'",
      mp(),
      multipart(B, [{ ...img(png), name: "file" }]),
      err(400, "missing_image"),
    ],
    [
      "text_field",
      "/v1/classify",
      "'image' is a text field",
      mp(),
      multipart(B, [{ name: "image", data: bytesOf("hello") }]),
      err(400, "invalid_parameter"),
    ],
    [
      "two_images",
      "/v1/classify",
      "two 'image' parts on /v1/classify",
      mp(),
      multipart(B, [img(png), img(jpg, "b.jpg")]),
      err(400, "invalid_parameter"),
    ],
    [
      "empty_file",
      "/v1/classify",
      "'image' file with zero bytes",
      mp(),
      multipart(B, [img(new Uint8Array(0))]),
      err(400, "missing_image"),
    ],
    [
      "huge_part",
      "/v1/classify",
      "one 1.2 MiB part (body over 1 MiB)",
      mp(),
      multipart(B, [img(new Uint8Array(1228800))]),
      err(413, "too_large"),
    ],
    [
      "many_text_parts",
      "/v1/classify",
      "2000 text parts plus one image (others ignored)",
      mp(),
      multipart(B, [
        ...Array.from({ length: 2000 }, (_, i) => ({ name: `f${i}`, data: bytesOf("x") })),
        img(png),
      ]),
      ok(),
      { predictions: 5 },
    ],
    [
      "traversal_filename",
      "/v1/classify",
      "filename ../../etc/passwd with quotes and unicode",
      mp(),
      multipart(B, [img(png, "../../etc/passwd\u202e.png")]),
      ok(),
      { predictions: 5 },
    ],
    [
      "long_part_header",
      "/v1/classify",
      "a 64 KiB filename",
      mp(),
      multipart(B, [img(png, "a".repeat(65536))]),
      [{ status: 200 }, ...err(400, "invalid_multipart")],
    ],
    [
      "base64_part",
      "/v1/classify",
      "part with Content-Transfer-Encoding: base64 (not decoded)",
      mp(),
      multipart(B, [{
        ...img(bytesOf(btoa(String.fromCharCode(...png)))),
        extraHeaders: "Content-Transfer-Encoding: base64\r\n",
      }]),
      unsupported(),
    ],
    [
      "long_boundary",
      "/v1/classify",
      "a 200-character boundary (RFC 2046 allows 70)",
      mp("b".repeat(200)),
      multipart("b".repeat(200), [img(png)]),
      [{ status: 200 }, ...err(400, "invalid_multipart")],
    ],
    [
      "batch_ok_and_bad",
      "/v1/classify/batch",
      "PNG, text, empty file, text field, JPEG",
      mp(),
      multipart(B, [
        img(png),
        img(bytesOf("not an image"), "t.txt"),
        img(new Uint8Array(0), "e.png"),
        { name: "image", data: bytesOf("text") },
        img(jpg, "b.jpg"),
      ]),
      ok(),
      { items: [null, "unsupported_format", "missing_image", "invalid_parameter", null] },
    ],
    [
      "batch_bomb_and_big",
      "/v1/classify/batch",
      "a 65535x65535 PNG header and a 1.2 MiB file in a batch",
      mp(),
      multipart(B, [img(await src("bomb_65535.png")), img(new Uint8Array(1228800), "big.png")]),
      ok(),
      { items: ["too_many_pixels", "too_large"] },
    ],
    [
      "batch_too_many_files",
      "/v1/classify/batch",
      "9 image parts (limit 8)",
      mp(),
      multipart(B, Array.from({ length: 9 }, () => img(png))),
      err(400, "too_many_files"),
    ],
    [
      "batch_5000_parts",
      "/v1/classify/batch",
      "5000 tiny text parts",
      mp(),
      multipart(B, Array.from({ length: 5000 }, (_, i) => ({ name: `p${i}`, data: bytesOf("x") }))),
      err(400, "too_many_files"),
    ],
    [
      "batch_no_image",
      "/v1/classify/batch",
      "one part named 'file'",
      mp(),
      multipart(B, [{ ...img(png), name: "file" }]),
      err(400, "missing_image"),
    ],
    [
      "batch_not_multipart",
      "/v1/classify/batch",
      "raw PNG to the batch route",
      { "Content-Type": "image/png" },
      png,
      err(400, "invalid_multipart"),
    ],
    [
      "batch_no_boundary",
      "/v1/classify/batch",
      "multipart without boundary",
      { "Content-Type": "multipart/form-data" },
      multipart(B, [img(png)]),
      err(400, "invalid_multipart"),
    ],
  ];
  for (const [id, path, what, headers, body, expect, extra] of mpCases) {
    b.http(`multipart_${id}`, "multipart", what, { path, headers }, body, expect, extra ?? {});
  }

  // Auth (the server runs with API_KEY).
  const authCases: [string, string, Record<string, string>, Outcome[]][] = [
    ["missing", "no Authorization header", {}, err(401, "unauthorized")],
    ["wrong", "wrong key", { Authorization: "Bearer wrong-key" }, err(401, "unauthorized")],
    [
      "basic",
      "Basic credentials",
      { Authorization: `Basic ${btoa("a:b")}` },
      err(401, "unauthorized"),
    ],
    [
      "bearer_only",
      "'Bearer' without a key",
      { Authorization: "Bearer" },
      err(401, "unauthorized"),
    ],
    ["key_prefix", "the key plus a suffix", { Authorization: `${key}x` }, err(401, "unauthorized")],
    [
      "huge",
      "an 8 KiB Authorization header",
      { Authorization: `Bearer ${"k".repeat(8192)}` },
      err(401, "unauthorized"),
    ],
    ["lowercase_scheme", "'bearer' in lower case (schemes are case-insensitive)", {
      Authorization: `bearer ${CORPUS_API_KEY}`,
    }, ok()],
  ];
  for (const [id, what, headers, expect] of authCases) {
    b.http(
      `auth_${id}`,
      "auth",
      what,
      { path: "/v1/classify", headers, auth: false },
      png,
      expect,
      expect[0].status === 200 ? { predictions: 5 } : {},
    );
  }
  b.http(
    "auth_model_without_key",
    "auth",
    "GET /v1/model without a key",
    { method: "GET", path: "/v1/model", auth: false },
    null,
    err(401, "unauthorized"),
  );
  b.http(
    "auth_healthz_open",
    "auth",
    "GET /healthz needs no key",
    { method: "GET", path: "/healthz", auth: false },
    null,
    ok(),
  );
  b.http(
    "auth_readyz_open",
    "auth",
    "GET /readyz needs no key",
    { method: "GET", path: "/readyz", auth: false },
    null,
    ok(),
  );

  // Routes and methods.
  const routes: [string, string, string, Outcome[]][] = [
    ["get_classify", "GET", "/v1/classify", err(404, "not_found")],
    ["delete_classify", "DELETE", "/v1/classify", err(404, "not_found")],
    ["post_healthz", "POST", "/healthz", err(404, "not_found")],
    ["unknown_path", "GET", "/v2/classify", err(404, "not_found")],
    ["dotdot_path", "GET", "/v1/../../etc/passwd", [{ status: 200 }, ...err(404, "not_found")]],
    ["encoded_dotdot", "GET", "/v1/%2e%2e/%2e%2e/etc/passwd", err(404, "not_found")],
    ["model", "GET", "/v1/model", ok()],
    ["openapi", "GET", "/openapi.json", ok()],
    ["head_healthz", "HEAD", "/healthz", [{ status: 200 }, { status: 404 }]],
    ["options_classify", "OPTIONS", "/v1/classify", [{ status: 204 }, ...err(404, "not_found")]],
  ];
  for (const [id, method, path, expect] of routes) {
    b.http(`route_${id}`, "route", `${method} ${path}`, { method, path }, null, expect);
  }

  // Raw HTTP on a socket: what hyper and the app do with malformed requests.
  const auth = `Authorization: ${key}\r\n`;
  const req = (head: string, body: Uint8Array = new Uint8Array(0)) => concat(bytesOf(head), body);
  const rejected: Outcome[] = [{ status: 400 }, { status: 431 }, { status: "closed" }];
  const rawCases: [string, string, Uint8Array, Outcome[]][] = [
    ["garbage_request_line", "GARBAGE instead of a request line", req("GARBAGE\r\n\r\n"), rejected],
    [
      "header_500k",
      "a 500 KB header value",
      req(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(500000)}\r\n\r\n`),
      rejected,
    ],
    [
      "headers_300",
      "300 headers",
      req(
        `GET /healthz HTTP/1.1\r\nHost: x\r\n${
          Array.from({ length: 300 }, (_, i) => `X-H${i}: v\r\n`).join("")
        }\r\n`,
      ),
      rejected,
    ],
    [
      "url_200k",
      "a 200 KB URL",
      req(`GET /healthz?${"a".repeat(200000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      [...rejected, { status: 414 }],
    ],
    [
      "nul_in_header",
      "a NUL byte in a header value",
      req("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\0b\r\n\r\n"),
      rejected,
    ],
    [
      "content_length_abc",
      "Content-Length: abc",
      req(`POST /v1/classify HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: abc\r\n\r\n`),
      rejected,
    ],
    [
      "content_length_twice",
      "two different Content-Length headers",
      req(
        `POST /v1/classify HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef`,
      ),
      rejected,
    ],
    [
      "cl_and_te",
      "Content-Length and Transfer-Encoding (smuggling)",
      req(
        `POST /v1/classify HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      ),
      rejected,
    ],
    [
      "bad_chunk_size",
      "chunk size 'zz'",
      req(
        `POST /v1/classify HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`,
      ),
      rejected,
    ],
    [
      "body_shorter_than_length",
      "Content-Length 100000, 773 bytes sent, then the write side closed",
      req(`POST /v1/classify HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 100000\r\n\r\n`, png),
      [...rejected, { status: 408 }],
    ],
    [
      "chunked_cut_off",
      "chunked body cut inside a chunk, then the write side closed",
      req(
        `POST /v1/classify HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\n10\r\nabc`,
      ),
      [...rejected, { status: 408 }],
    ],
    [
      "chunked_huge",
      "1.5 MiB chunked body (no Content-Length) over the 1 MiB limit",
      req(
        `POST /v1/classify HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n` +
          "Connection: close\r\n\r\n" + `10000\r\n${"a".repeat(65536)}\r\n`.repeat(24) +
          "0\r\n\r\n",
      ),
      [{ status: 413, code: "too_large" }],
    ],
    [
      "content_length_huge",
      "Content-Length: 10^15 with a tiny body",
      req(
        `POST /v1/classify HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 1000000000000000\r\n\r\nabc`,
      ),
      [{ status: 413, code: "too_large" }, ...rejected],
    ],
    [
      "expect_continue",
      "Expect: 100-continue with a whole PNG, then the write side closed (Deno may drop the " +
      "body of a request whose client half-closed before it was read (400), or the answer " +
      "after the 100 Continue (closed))",
      req(
        `POST /v1/classify HTTP/1.1\r\nHost: x\r\n${auth}Expect: 100-continue\r\nContent-Length: ${png.length}\r\nConnection: close\r\n\r\n`,
        png,
      ),
      [{ status: 200 }, { status: 400 }, { status: "closed" }],
    ],
    ["http10_no_host", "HTTP/1.0 without Host", req("GET /healthz HTTP/1.0\r\n\r\n"), ok()],
    [
      "absolute_uri",
      "absolute-form request target",
      req("GET http://evil.example/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      [{ status: 200 }, { status: 400 }, ...err(404, "not_found")],
    ],
    [
      "pipelined",
      "two pipelined GET /healthz",
      req(
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      ),
      ok(),
    ],
    [
      "h2c_preface",
      "an HTTP/2 prior-knowledge preface on the plain port",
      req("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
      [{ status: "non_http1" }, { status: "closed" }, { status: 400 }],
    ],
    [
      "percent_ff_path",
      "path /%ff%fe",
      req("GET /%ff%fe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      err(404, "not_found"),
    ],
  ];
  for (const [id, what, data, expect] of rawCases) {
    b.raw(`raw_${id}`, "raw_http", what, data, expect);
  }

  // Denial of service through the decoder: last, since a hit freezes or bloats the server.
  const dos: [string, string, Outcome[]][] = [
    ["lzw_loop.tif", "32x24 LZW TIFF with 12 bytes of its strip overwritten", corrupt()],
    [
      "size_count2.tif",
      "TIFF whose ImageWidth/ImageLength have count 2 (200x208 to the probe, 65536x65536 inside)",
      [...bomb(), ...corrupt()],
    ],
  ];
  for (const [name, what, expect] of dos) {
    b.classify(`dos_${name.replace(/\W/g, "_")}`, "dos", what, await src(name), expect);
  }

  // Slow senders: checked by their own test (they take seconds), never in the main loop.
  b.cases.push({
    id: "slow_body",
    group: "slow",
    description: "headers with Content-Length 100000, 10 body bytes, then silence",
    request: {
      kind: "slow",
      phase: "body",
      file: b.file(
        "slow_body.http",
        req(
          `POST /v1/classify HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 100000\r\n\r\n`,
          png.slice(0, 10),
        ),
      ),
    },
    expect: [{ status: 408 }, { status: "closed" }],
  });
  b.cases.push({
    id: "slow_headers",
    group: "slow",
    description: "half a request header block, then silence",
    request: {
      kind: "slow",
      phase: "headers",
      file: b.file("slow_headers.http", bytesOf("POST /v1/classify HTTP/1.1\r\nHost: x\r\n")),
    },
    expect: [{ status: 408 }, { status: 400 }, { status: "closed" }],
  });
}

function parseOut(args: string[]): string {
  const i = args.indexOf("--out");
  if (i >= 0) {
    if (!args[i + 1]) throw new TypeError("--out: needs a folder");
    return args[i + 1];
  }
  if (args.length > 0) throw new TypeError(`unknown arguments: ${args.join(" ")} (use --out DIR)`);
  return new URL("../tests/corpus", import.meta.url).pathname;
}

if (import.meta.main) {
  try {
    const out = parseOut(Deno.args);
    const manifest = await makeCorpus(out);
    const groups = new Map<string, number>();
    for (const c of manifest.cases) groups.set(c.group, (groups.get(c.group) ?? 0) + 1);
    console.log(`make_corpus: ${manifest.cases.length} cases in ${out}`);
    for (const [g, n] of groups) console.log(`  ${g}: ${n}`);
  } catch (e) {
    console.error(`make_corpus: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
