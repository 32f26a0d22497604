/**
 * TIFF decoding through utif2 (imagescript 1.3.1's TIFF decoder fails on every file Pillow
 * writes), behind a sanitizer: utif2 follows IFD chains without a cycle check (a looping "next
 * IFD" pointer hangs it) and trusts tag counts (a count of 2^32 spends seconds building arrays).
 * We hand it a copy holding only the first IFD, with out-of-file entries emptied and sub-IFD
 * pointers renamed so it cannot wander.
 * @module
 */
import UTIF from "utif2";
import { type Image, makeImage } from "./image.ts";
import { ImageError } from "./image_error.ts";

function corrupt(why: string): never {
  throw new ImageError("corrupt_image", `tiff: ${why}`);
}

/** Bytes per value of each TIFF field type utif2 understands. */
const TYPE_SIZE: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
};

/** Tags utif2 follows as pointers to more IFDs (SubIFDs, EXIF, GPS, DNG private, Fuji, MakerNote). */
const POINTER_TAGS = new Set([330, 34665, 34853, 50740, 61440, 37500]);
/** A private tag number nothing reads: pointer tags are renamed to it. */
const INERT_TAG = 65000;

/** A copy of `bytes` that utif2 can parse in time linear in the file size. */
export function sanitizeTiff(bytes: Uint8Array): ArrayBuffer {
  const copy = bytes.slice();
  const dv = new DataView(copy.buffer);
  const len = copy.length;
  if (len < 8) corrupt("header is truncated");
  const le = copy[0] === 0x49;
  const u16 = (at: number) => dv.getUint16(at, le);
  const u32 = (at: number) => dv.getUint32(at, le);
  const ifd = u32(4);
  if (ifd + 2 > len) corrupt("first IFD is outside the file");
  const count = u16(ifd);
  if (ifd + 2 + count * 12 + 4 > len) corrupt("first IFD is truncated");
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    const tag = u16(e);
    const size = TYPE_SIZE[u16(e + 2)];
    const n = u32(e + 4);
    const bytesNeeded = size === undefined ? Infinity : n * size;
    const inline = bytesNeeded <= 4;
    if (!inline && !(u32(e + 8) + bytesNeeded <= len)) {
      dv.setUint32(e + 4, 0, le); // an empty entry: utif2 stores [] and moves on
    } else if (size === undefined) {
      dv.setUint32(e + 4, 0, le);
    }
    if (POINTER_TAGS.has(tag)) dv.setUint16(e, INERT_TAG, le);
  }
  dv.setUint32(ifd + 2 + count * 12, 0, le); // no next IFD: only the first image
  return copy.buffer;
}

/** The first image of a TIFF as RGBA (channels 4); `ImageError` for damaged files. */
export function decodeTiff(bytes: Uint8Array): Image {
  const buf = sanitizeTiff(bytes);
  const ifds = UTIF.decode(buf);
  if (ifds.length === 0) corrupt("no image directory");
  const ifd = ifds[0] as Record<string, unknown>;
  // utif2 reads past the end of a truncated file as zeros; refuse that ourselves.
  const offsets = (ifd.t273 ?? ifd.t324) as number[] | undefined;
  const counts = (ifd.t279 ?? ifd.t325) as number[] | undefined;
  if (!offsets?.length || !counts || offsets.length !== counts.length) {
    corrupt("strip/tile offsets are missing");
  }
  for (let i = 0; i < offsets.length; i++) {
    if (!(offsets[i] + counts[i] <= bytes.length)) corrupt("pixel data is truncated");
  }
  UTIF.decodeImage(buf, ifds[0]);
  const { width, height } = ifds[0];
  if (!(width > 0 && height > 0)) corrupt("no image size");
  const rgba = UTIF.toRGBA8(ifds[0]);
  if (rgba.length < width * height * 4) corrupt("pixel data is missing or truncated");
  return makeImage(width, height, 4, rgba.subarray(0, width * height * 4));
}
