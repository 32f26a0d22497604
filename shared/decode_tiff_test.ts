import assert from "node:assert/strict";
import { decodeImage } from "./decode.ts";
import { ImageError } from "./image_error.ts";

// Pillow writes (or, for layouts it cannot write, a hand-built writer lays out) the TIFFs, and
// Pillow's own decode through libtiff is the reference.
const PILLOW = `
import json, struct, sys, zlib
from PIL import Image, ImageDraw
d = sys.argv[1]
im = Image.new("RGB", (40, 30))
px = im.load()
for y in range(30):
    for x in range(40):
        px[x, y] = (x * 6, y * 8, (x * y) % 256)
ImageDraw.Draw(im).ellipse((8, 5, 32, 25), fill=(220, 30, 30))
im.save(f"{d}/raw.tif")
im.save(f"{d}/lzw.tif", compression="tiff_lzw")
im.save(f"{d}/lzw_predictor.tif", compression="tiff_lzw", tiffinfo={317: 2})
im.save(f"{d}/packbits.tif", compression="packbits")
im.save(f"{d}/deflate.tif", compression="tiff_adobe_deflate")
im.save(f"{d}/jpeg.tif", compression="jpeg")
im.convert("L").save(f"{d}/gray_lzw.tif", compression="tiff_lzw")
im.convert("CMYK").save(f"{d}/cmyk.tif")

def tiff(tags, segments, offsets_tag=273, counts_tag=279):
    """Little-endian TIFF: the segments right after the header, then the IFD."""
    body, offsets = b"", []
    for s in segments:
        offsets.append(8 + len(body))
        body += s
    tags = dict(tags)
    tags[offsets_tag] = (4, offsets)
    tags[counts_tag] = (4, [len(s) for s in segments])
    ifd_at = 8 + len(body) + (len(body) & 1)
    body = body.ljust(ifd_at - 8, b"\\0")
    extra_at = ifd_at + 2 + 12 * len(tags) + 4
    entries, extra = b"", b""
    for tag in sorted(tags):
        typ, vals = tags[tag]
        raw = struct.pack("<" + {3: "H", 4: "I"}[typ] * len(vals), *vals)
        if len(raw) <= 4:
            entries += struct.pack("<HHI", tag, typ, len(vals)) + raw.ljust(4, b"\\0")
        else:
            entries += struct.pack("<HHII", tag, typ, len(vals), extra_at + len(extra))
            extra += raw
    return b"II*\\0" + struct.pack("<I", ifd_at) + body + struct.pack("<H", len(tags)) + entries + b"\\0" * 4 + extra

# 40x30 RGB in 16x16 tiles (3 x 2, the last column and row overhanging the image).
rgb = im.tobytes()
tiles = []
for ty in range(2):
    for tx in range(3):
        t = bytearray(16 * 16 * 3)
        for y in range(16):
            for x in range(16):
                X, Y = tx * 16 + x, ty * 16 + y
                if X < 40 and Y < 30:
                    t[(y * 16 + x) * 3:(y * 16 + x) * 3 + 3] = rgb[(Y * 40 + X) * 3:(Y * 40 + X) * 3 + 3]
        tiles.append(bytes(t))
rgb_tags = {256: (3, [40]), 257: (3, [30]), 258: (3, [8, 8, 8]), 259: (3, [1]), 262: (3, [2]), 277: (3, [3]), 284: (3, [1])}
open(f"{d}/tiled.tif", "wb").write(tiff({**rgb_tags, 322: (3, [16]), 323: (3, [16])}, tiles, 324, 325))
# 1-bit, bits stored least significant first (FillOrder 2), in two strips.
bits = bytes((i * 37 + 11) % 256 for i in range(3 * 6))
bilevel = {256: (3, [20]), 257: (3, [6]), 258: (3, [1]), 259: (3, [1]), 262: (3, [1]), 266: (3, [2]), 278: (3, [3])}
open(f"{d}/fillorder2.tif", "wb").write(tiff(bilevel, [bits[:9], bits[9:]]))
# 64x64 gray Deflate whose strip inflates to 64 MiB: only its first 4096 bytes are pixels.
pattern = bytes((i * 7) % 251 for i in range(4096))
gray = {256: (3, [64]), 257: (3, [64]), 258: (3, [8]), 259: (3, [8]), 262: (3, [1])}
open(f"{d}/deflate_bomb.tif", "wb").write(tiff(gray, [zlib.compress(pattern + bytes(64 << 20), 9)]))

names = ["raw", "lzw", "lzw_predictor", "packbits", "deflate", "jpeg", "gray_lzw", "tiled",
         "fillorder2", "deflate_bomb"]
for n in names:
    open(f"{d}/{n}.rgb", "wb").write(Image.open(f"{d}/{n}.tif").convert("RGB").tobytes())
print(json.dumps(names))
`;

const dir = await Deno.makeTempDir({ prefix: "decode_tiff_test_" });
const made = await new Deno.Command("/usr/bin/python3", {
  args: ["-c", PILLOW, dir],
  stderr: "piped",
}).output();
if (!made.success) throw new Error(new TextDecoder().decode(made.stderr));
const NAMES = JSON.parse(new TextDecoder().decode(made.stdout)) as string[];
const file = (name: string) => Deno.readFile(`${dir}/${name}.tif`);

/** Where the entry of `tag` is in the first IFD of a little-endian TIFF. */
function entryAt(b: Uint8Array, tag: number): number {
  const dv = new DataView(b.buffer, b.byteOffset);
  const ifd = dv.getUint32(4, true);
  for (let i = 0; i < dv.getUint16(ifd, true); i++) {
    if (dv.getUint16(ifd + 2 + i * 12, true) === tag) return ifd + 2 + i * 12;
  }
  throw new Error(`no tag ${tag}`);
}

/** A copy of `b` whose one-value SHORT or LONG tag `tag` holds `value`. */
function withTag(b: Uint8Array, tag: number, value: number): Uint8Array {
  const out = b.slice();
  const dv = new DataView(out.buffer);
  const at = entryAt(out, tag);
  if (dv.getUint16(at + 2, true) === 3) dv.setUint16(at + 8, value, true);
  else dv.setUint32(at + 8, value, true);
  return out;
}

/** A copy of `b` whose entry of `tag` is renamed `to` (its value kept). */
function renamedTag(b: Uint8Array, tag: number, to: number): Uint8Array {
  const out = b.slice();
  new DataView(out.buffer).setUint16(entryAt(out, tag), to, true);
  return out;
}

/** The one-value tag `tag` of `b`. */
function tagValue(b: Uint8Array, tag: number): number {
  const dv = new DataView(b.buffer, b.byteOffset);
  const at = entryAt(b, tag);
  return dv.getUint16(at + 2, true) === 3 ? dv.getUint16(at + 8, true) : dv.getUint32(at + 8, true);
}

/** A copy of jpeg.tif with `patch` applied to the SOF0 segment of its strip. */
async function jpegTiffWithSof(patch: (b: Uint8Array, sof: number) => void): Promise<Uint8Array> {
  const out = (await file("jpeg")).slice();
  const strip = tagValue(out, 273);
  let sof = strip;
  while (!(out[sof] === 0xff && out[sof + 1] === 0xc0)) sof++;
  patch(out, sof);
  return out;
}

Deno.test("decodeImage decodes TIFF strips, tiles, predictors and fill orders like Pillow (libtiff)", async () => {
  for (const name of NAMES) {
    const img = await decodeImage(await file(name));
    const want = await Deno.readFile(`${dir}/${name}.rgb`);
    assert.equal(img.data.length, want.length, name);
    // utif2's JPEG decoder (pdf.js) rounds its IDCT differently from libjpeg: off by at most 1.
    const tolerance = name === "jpeg" ? 1 : 0;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(img.data[i] - want[i]));
    assert.ok(worst <= tolerance, `${name}: differs from Pillow by up to ${worst}`);
  }
});

Deno.test("decodeImage refuses hostile or unsupported TIFFs with the right ImageError code before decoding them", async () => {
  const raw = await file("raw");
  const lzw = await file("lzw");
  const tiled = await file("tiled");
  const table: [string, Uint8Array, string][] = [
    ["old-style JPEG (compression 6)", withTag(raw, 259, 6), "unsupported_format"],
    ["ThunderScan (compression 32809)", withTag(raw, 259, 32809), "unsupported_format"],
    ["SGI LogLuv (compression 34676)", withTag(raw, 259, 34676), "unsupported_format"],
    ["an unknown compression", withTag(raw, 259, 12345), "unsupported_format"],
    ["CMYK", await file("cmyk"), "unsupported_format"],
    ["CIELab", withTag(raw, 262, 8), "unsupported_format"],
    ["separate colour planes", withTag(raw, 284, 2), "unsupported_format"],
    ["200 samples per pixel (a 200-byte pixel)", withTag(raw, 277, 200), "unsupported_format"],
    [
      "a predictor on 1-bit samples",
      renamedTag(await file("fillorder2"), 266, 317),
      "unsupported_format",
    ],
    [
      "a floating-point predictor",
      withTag(await file("lzw_predictor"), 317, 3),
      "unsupported_format",
    ],
    ["RowsPerStrip 0", withTag(raw, 278, 0), "corrupt_image"],
    [
      "65535x65535 tiles for a 40x30 image",
      withTag(withTag(tiled, 322, 65535), 323, 65535),
      "corrupt_image",
    ],
    [
      "an LZW strip cut to half its bytes",
      withTag(lzw, 279, tagValue(lzw, 279) >> 1),
      "corrupt_image",
    ],
    [
      "a JPEG strip whose frame claims 30000x30000",
      await jpegTiffWithSof((b, sof) => b.set([0x75, 0x30, 0x75, 0x30], sof + 5)),
      "corrupt_image",
    ],
    [
      "a JPEG strip with sampling factors 15x15",
      await jpegTiffWithSof((b, sof) => (b[sof + 11] = 0xff)),
      "corrupt_image",
    ],
    [
      "a progressive JPEG strip",
      await jpegTiffWithSof((b, sof) => (b[sof + 1] = 0xc2)),
      "unsupported_format",
    ],
  ];
  for (const [name, bytes, code] of table) {
    await assert.rejects(decodeImage(bytes), (e: unknown) => {
      assert.ok(e instanceof ImageError, `${name}: ${e}`);
      assert.equal(e.code, code, `${name}: ${e.message}`);
      return true;
    });
  }
});

Deno.test("cleanup", async () => {
  await Deno.remove(dir, { recursive: true });
});
