/**
 * Reads an image's format and size from its header, without decoding pixels, so that the
 * decoder can refuse decompression bombs before allocating anything.
 * @module
 */
import { ImageError } from "./image_error.ts";

/** Container formats recognised from their magic bytes. */
export type ImageFormat = "png" | "jpeg" | "gif" | "tiff" | "bmp" | "webp";

/** What the header says. `width` x `height` is the stored size, before EXIF orientation. */
export interface ProbeResult {
  format: ImageFormat;
  width: number;
  height: number;
}

/** The format named by the magic bytes at the start of `bytes`, or null. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  const b = bytes;
  const starts = (sig: number[], at = 0) =>
    b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (starts([0xff, 0xd8, 0xff])) return "jpeg";
  if (starts([0x47, 0x49, 0x46, 0x38]) && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61) {
    return "gif";
  }
  if (starts([0x49, 0x49, 0x2a, 0x00]) || starts([0x4d, 0x4d, 0x00, 0x2a])) return "tiff";
  if (starts([0x42, 0x4d])) return "bmp";
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "webp";
  return null;
}

function corrupt(format: string, why: string): never {
  throw new ImageError("corrupt_image", `${format}: ${why}`);
}

/** A bounds-checked big/little-endian reader that throws `corrupt_image` past the end. */
class Reader {
  constructor(readonly b: Uint8Array, readonly format: string, public le = false) {}
  need(at: number, n: number): void {
    if (at < 0 || at + n > this.b.length) corrupt(this.format, "header is truncated");
  }
  u8(at: number): number {
    this.need(at, 1);
    return this.b[at];
  }
  u16(at: number): number {
    this.need(at, 2);
    const [x, y] = [this.b[at], this.b[at + 1]];
    return this.le ? x | (y << 8) : (x << 8) | y;
  }
  u32(at: number): number {
    this.need(at, 4);
    return this.le
      ? (this.u16(at) | (this.u16(at + 2) * 65536)) >>> 0
      : (this.u16(at) * 65536 + this.u16(at + 2)) >>> 0;
  }
  i32(at: number): number {
    return this.u32(at) | 0;
  }
}

function probePng(r: Reader): [number, number] {
  // The first chunk must be IHDR: length 13, then width and height.
  if (r.u32(8) !== 13 || String.fromCharCode(...r.b.subarray(12, 16)) !== "IHDR") {
    corrupt("png", "first chunk is not IHDR");
  }
  return [r.u32(16), r.u32(20)];
}

/** SOF markers: C0-CF except DHT (C4), JPG (C8) and DAC (CC). */
export function isSofMarker(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

/** Walks the marker segments up to the first SOFn; returns [width, height, marker]. */
export function probeJpegFrame(b: Uint8Array): [number, number, number] {
  const r = new Reader(b, "jpeg");
  let at = 2;
  for (;;) {
    if (r.u8(at) !== 0xff) corrupt("jpeg", `expected a marker at byte ${at}`);
    // Any number of 0xFF fill bytes may precede the marker code.
    while (r.u8(at + 1) === 0xff) at++;
    const m = r.u8(at + 1);
    at += 2;
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) continue; // stand-alone markers
    if (m === 0xd9 || m === 0xda) corrupt("jpeg", "no frame header before the image data");
    const len = r.u16(at);
    if (len < 2) corrupt("jpeg", `bad segment length at byte ${at}`);
    if (isSofMarker(m)) {
      r.need(at, len);
      const height = r.u16(at + 3);
      const width = r.u16(at + 5);
      return [width, height, m];
    }
    at += len;
  }
}

/**
 * The first GIF image descriptor's size, which the decoder allocates for and which the logical
 * screen in the header does not bound. Throws `corrupt_image` if there is none.
 */
export function gifFirstFrameSize(b: Uint8Array): [number, number] {
  const r = new Reader(b, "gif", true);
  const flags = r.u8(10);
  // Global colour table: 3 * 2^(size+1) bytes when the flag is set.
  let at = 13 + (flags & 0x80 ? 3 << ((flags & 7) + 1) : 0);
  for (;;) {
    const block = r.u8(at);
    if (block === 0x2c) return [r.u16(at + 5), r.u16(at + 7)];
    if (block !== 0x21) {
      corrupt("gif", `unexpected block 0x${block.toString(16)} before the first image`);
    }
    // Extension: label byte, then data sub-blocks until a zero length.
    at += 2;
    for (let len = r.u8(at); len !== 0; len = r.u8(at)) at += len + 1;
    at += 1;
  }
}

function probeTiff(r: Reader): [number, number] {
  r.le = r.b[0] === 0x49;
  const ifd = r.u32(4);
  const n = r.u16(ifd);
  r.need(ifd, 2 + n * 12);
  let width = -1;
  let height = -1;
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12;
    const tag = r.u16(e);
    if (tag !== 256 && tag !== 257) continue;
    const type = r.u16(e + 2);
    const count = r.u32(e + 4);
    // With any other count the value field is an offset to the values, not the size (a reader
    // that took it as the size would let a 65536x65536 image past the pixel limit).
    if (count !== 1) corrupt("tiff", `tag ${tag} has ${count} values, not 1`);
    // SHORT is left-justified in the 4-byte value field; LONG fills it.
    const v = type === 3 ? r.u16(e + 8) : type === 4 ? r.u32(e + 8) : -1;
    if (v < 0) corrupt("tiff", `tag ${tag} has unexpected type ${type}`);
    if (tag === 256) width = v;
    else height = v;
  }
  if (width < 0 || height < 0) corrupt("tiff", "first IFD has no ImageWidth/ImageLength");
  return [width, height];
}

function probeBmp(r: Reader): [number, number] {
  r.le = true;
  const dib = r.u32(14);
  if (dib === 12) return [r.u16(18), r.u16(20)];
  if (dib < 40) corrupt("bmp", `unknown DIB header size ${dib}`);
  // A negative height means rows are stored top-down.
  return [Math.abs(r.i32(18)), Math.abs(r.i32(22))];
}

function probeWebp(r: Reader): [number, number] {
  r.le = true;
  const chunk = String.fromCharCode(...r.b.subarray(12, 16));
  const u24 = (at: number) => r.u16(at) | (r.u8(at + 2) << 16);
  if (chunk === "VP8X") return [u24(24) + 1, u24(27) + 1];
  if (chunk === "VP8 ") {
    if (r.u8(23) !== 0x9d || r.u8(24) !== 0x01 || r.u8(25) !== 0x2a) {
      corrupt("webp", "bad VP8 start code");
    }
    return [r.u16(26) & 0x3fff, r.u16(28) & 0x3fff];
  }
  if (chunk === "VP8L") {
    if (r.u8(20) !== 0x2f) corrupt("webp", "bad VP8L signature");
    const bits = r.u32(21);
    return [(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1];
  }
  return corrupt("webp", `unknown first chunk '${chunk}'`);
}

/**
 * Format and stored size from the header alone (PNG IHDR, JPEG SOFn, GIF logical screen, TIFF
 * first IFD, BMP DIB header, WebP VP8/VP8L/VP8X). Throws `ImageError`: `unsupported_format` for
 * unknown magic bytes, `corrupt_image` for a truncated or inconsistent header or a zero size.
 */
export function probeImage(bytes: Uint8Array): ProbeResult {
  if (bytes.length === 0) throw new ImageError("corrupt_image", "image is empty (0 bytes)");
  const format = sniffFormat(bytes);
  if (!format) {
    throw new ImageError(
      "unsupported_format",
      "not a PNG, JPEG, GIF, TIFF, BMP or WebP file (unknown magic bytes)",
    );
  }
  const r = new Reader(bytes, format);
  let size: [number, number];
  switch (format) {
    case "png":
      size = probePng(r);
      break;
    case "jpeg": {
      const [w, h] = probeJpegFrame(bytes);
      size = [w, h];
      break;
    }
    case "gif":
      r.le = true;
      size = [r.u16(6), r.u16(8)];
      break;
    case "tiff":
      size = probeTiff(r);
      break;
    case "bmp":
      size = probeBmp(r);
      break;
    case "webp":
      size = probeWebp(r);
      break;
  }
  const [width, height] = size;
  if (width === 0 || height === 0) corrupt(format, `header says ${width}x${height} pixels`);
  return { format, width, height };
}
