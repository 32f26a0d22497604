/**
 * TIFF decoding: utif2 parses the first IFD and converts samples to RGBA, everything between is
 * ours, because utif2 trusts the file. Its IFD reader follows chains without a cycle check and
 * trusts tag counts, so it gets a sanitized copy holding only the first IFD. Its decompressors
 * loop forever on a corrupt LZW strip, inflate a deflate strip without a size limit, grow CCITT
 * rows and code strings without bound, and size buffers from tile and JPEG headers nobody
 * checked. So here the image size must equal the header probe's (which decode.ts checks against
 * the pixel limit), every strip or tile decodes into a buffer of exactly the size its rows need
 * with a bounded decoder (decode_tiff_lzw.ts, decode_tiff_ccitt.ts, a streaming inflate that
 * stops at that size), and variants with no bounded decoder are `unsupported_format`.
 * @module
 */
import { Inflate } from "fflate";
import UTIF from "utif2";
import { decodeCcitt } from "./decode_tiff_ccitt.ts";
import { decodeTiffLzw } from "./decode_tiff_lzw.ts";
import { type Image, makeImage } from "./image.ts";
import { ImageError } from "./image_error.ts";
import { probeImage } from "./probe_image.ts";

function corrupt(why: string): never {
  throw new ImageError("corrupt_image", `tiff: ${why}`);
}

function unsupported(why: string): never {
  throw new ImageError("unsupported_format", `tiff: ${why} is not supported`);
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

/** utif2's IFD: `t<tag>` keys holding number arrays (or bytes), plus what `toRGBA8` reads. */
type Ifd = UTIF.IFD;

/** The numbers of tag `tag`, or undefined when absent, empty (see sanitizeTiff) or not numeric. */
function numbers(ifd: Ifd, tag: number): number[] | undefined {
  const v = ifd[`t${tag}`];
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number")
    ? v as number[]
    : undefined;
}

/** The single value of tag `tag`, `fallback` when absent; corrupt if it is not one number. */
function single(ifd: Ifd, tag: number, fallback?: number): number {
  const v = numbers(ifd, tag);
  if (v === undefined && fallback !== undefined) return fallback;
  if (v?.length !== 1 || !Number.isInteger(v[0])) corrupt(`tag ${tag} must hold one integer`);
  return v[0];
}

/** SamplesPerPixel; without the tag, one per BitsPerSample value (as `toRGBA8` assumes). */
function samplesPerPixel(ifd: Ifd): number {
  return single(ifd, 277, numbers(ifd, 258)?.length ?? 1);
}

/**
 * Compressions with a bounded decoder here: 1 none, 2/3/4 CCITT, 5 LZW, 7 JPEG, 8 and 32946
 * Deflate, 32773 PackBits.
 */
const COMPRESSIONS = new Set([1, 2, 3, 4, 5, 7, 8, 32946, 32773]);

/**
 * Sample layouts utif2's `toRGBA8` converts, by photometric interpretation: allowed bits per
 * sample, and the samples per pixel each needs (undefined = any). Anything else would come out
 * as a blank image, so it is refused instead.
 */
const LAYOUTS: Record<number, { bps: number[]; spp?: (bps: number, spp: number) => boolean }> = {
  0: { bps: [1, 4, 8, 16], spp: (_b, s) => s === 1 }, // WhiteIsZero
  1: { bps: [1, 2, 8, 16], spp: (b, s) => b === 8 || s === 1 }, // BlackIsZero
  2: { // RGB
    bps: [8, 16],
    spp: (b, s) => (b === 8 ? s === 1 || s >= 3 : s === 3 || s === 4),
  },
  3: { bps: [1, 2, 4, 8] }, // palette
};

/** 16-bit RGBA, or 8 samples of 8 bits. */
const MAX_BITS_PER_PIXEL = 64;

/** Where the pixel data of the first image is and how it is coded. */
interface Layout {
  width: number;
  height: number;
  compression: number;
  bitsPerPixel: number;
  /** Bytes of one row of the whole image. */
  rowBytes: number;
  /** Strips: width x rowsPerStrip; tiles: tileWidth x tileHeight. */
  segWidth: number;
  segHeight: number;
  tiled: boolean;
  offsets: number[];
  counts: number[];
}

function readLayout(ifd: Ifd, width: number, height: number): Layout {
  const compression = single(ifd, 259, 1);
  if (!COMPRESSIONS.has(compression)) unsupported(`compression ${compression}`);
  const bps = numbers(ifd, 258)?.[0] ?? 1;
  const spp = samplesPerPixel(ifd);
  const photometric = numbers(ifd, 262)?.[0] ?? (bps === 1 ? 0 : 2);
  const planar = numbers(ifd, 284)?.[0] ?? 1;
  if (planar !== 1 && spp > 1) unsupported("planar configuration 2 (separate planes)");
  // JPEG strips decode to RGB (utif2 forces it): YCbCr is only readable through JPEG.
  const interpretation = compression === 7 && photometric === 6 ? 2 : photometric;
  const layout = LAYOUTS[interpretation];
  if (!layout) unsupported(`photometric interpretation ${photometric}`);
  if (!layout.bps.includes(bps) || !(spp >= 1 && (layout.spp?.(bps, spp) ?? spp === 1))) {
    unsupported(`photometric ${photometric} with ${spp} samples of ${bps} bits`);
  }
  if (compression === 7 && !(bps === 8 && (spp === 1 || spp === 3))) {
    unsupported(`JPEG compression with ${spp} samples of ${bps} bits`);
  }
  if (interpretation === 3) {
    const map = numbers(ifd, 320);
    if (!map || map.length < 3 << bps) corrupt("palette image without a full ColorMap");
  }
  const predictor = numbers(ifd, 317)?.[0] ?? 1;
  if (predictor !== 1 && !(predictor === 2 && (bps === 8 || bps === 16))) {
    unsupported(`predictor ${predictor} with ${bps}-bit samples`);
  }
  const bitsPerPixel = bps * spp;
  // The pixel buffer is this times the pixel count, which only the pixel limit bounds.
  if (bitsPerPixel > MAX_BITS_PER_PIXEL) unsupported(`${spp} samples of ${bps} bits per pixel`);
  const rowBytes = Math.ceil((width * bitsPerPixel) / 8);

  const tiled = ifd.t322 !== undefined || ifd.t323 !== undefined;
  let segWidth = width;
  let segHeight: number;
  let segments: number;
  if (tiled) {
    segWidth = single(ifd, 322);
    segHeight = single(ifd, 323);
    // A tile may overhang the image, but not by more than the image itself (or 1 MP).
    if (
      !(segWidth >= 1 && segHeight >= 1) ||
      segWidth * segHeight > Math.max(4 * width * height, 1 << 20)
    ) {
      corrupt(`tile size ${segWidth}x${segHeight} for a ${width}x${height} image`);
    }
    segments = Math.ceil(width / segWidth) * Math.ceil(height / segHeight);
  } else {
    const rps = single(ifd, 278, height);
    if (rps < 1) corrupt("RowsPerStrip is 0");
    segHeight = Math.min(rps, height);
    segments = Math.ceil(height / segHeight);
  }
  const offsets = numbers(ifd, tiled ? 324 : 273) ?? numbers(ifd, 273) ?? numbers(ifd, 324);
  const counts = numbers(ifd, tiled ? 325 : 279) ?? numbers(ifd, 279) ?? numbers(ifd, 325);
  if (!offsets?.length || !counts || offsets.length !== counts.length) {
    corrupt("strip/tile offsets are missing");
  }
  if (offsets.length < segments) {
    corrupt(`${offsets.length} strips/tiles where the image needs ${segments}`);
  }
  return {
    width,
    height,
    compression,
    bitsPerPixel,
    rowBytes,
    segWidth,
    segHeight,
    tiled,
    offsets: offsets.slice(0, segments),
    counts: counts.slice(0, segments),
  };
}

/** PackBits into `out`, stopping when it is full; returns the bytes written. */
function unpackBits(src: Uint8Array, out: Uint8Array): number {
  let i = 0;
  let o = 0;
  while (i < src.length && o < out.length) {
    const n = src[i++];
    if (n < 128) {
      const take = Math.min(n + 1, src.length - i, out.length - o);
      out.set(src.subarray(i, i + take), o);
      o += take;
      i += n + 1;
    } else if (n > 128 && i < src.length) {
      const run = Math.min(257 - n, out.length - o);
      out.fill(src[i++], o, o + run);
      o += run;
    } // 128 is a no-op
  }
  return o;
}

/** Input bytes per inflate step: Deflate expands at most ~1032x, so ~16 MB of output per step. */
const INFLATE_CHUNK = 16384;

/**
 * A zlib-wrapped Deflate strip into `out`, fed in steps and stopped once `out` is full, so a
 * small strip that inflates to gigabytes costs at most one step (~16 MB) of work past that.
 */
function inflateInto(src: Uint8Array, out: Uint8Array): number {
  if (src.length < 2) return 0;
  let o = 0;
  const inflater = new Inflate((chunk) => {
    const take = Math.min(chunk.length, out.length - o);
    out.set(chunk.subarray(0, take), o);
    o += take;
  });
  const raw = src.subarray(2); // the zlib header; the Adler-32 trailer is never reached
  try {
    for (let at = 0; at < raw.length && o < out.length; at += INFLATE_CHUNK) {
      inflater.push(raw.subarray(at, at + INFLATE_CHUNK), at + INFLATE_CHUNK >= raw.length);
    }
  } catch (e) {
    if (o < out.length) corrupt(`deflate data: ${(e as Error).message}`);
  }
  return o;
}

/** utif2's JPEG decoder (from pdf.js), which the typings leave out. */
interface JpegParser {
  parse(data: Uint8Array): void;
  width: number;
  height: number;
  getData(opts: {
    width: number;
    height: number;
    forceRGB: boolean;
    isSourcePDF: boolean;
  }): Uint8Array;
}
const JpegDecoder = (UTIF as unknown as { JpegDecoder: new () => JpegParser }).JpegDecoder;

/**
 * Walks a JPEG-in-TIFF stream's markers before pdf.js sees it, which allocates from the frame
 * header: one baseline/extended frame no larger than the segment, 1 or 3 components sampled 1..4,
 * and at most one scan per component (each scan costs a pass over the whole frame).
 */
function checkTiffJpeg(b: Uint8Array, maxWidth: number, maxHeight: number): void {
  if (b[0] !== 0xff || b[1] !== 0xd8) corrupt("JPEG strip does not start with SOI");
  let at = 2;
  let components = 0;
  let scans = 0;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) corrupt(`JPEG strip: expected a marker at byte ${at}`);
    const m = b[at + 1];
    if (m === 0xff) {
      at++;
      continue;
    }
    if (m === 0xd9) break;
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      at += 2;
      continue;
    }
    const len = (b[at + 2] << 8) | b[at + 3];
    if (len < 2 || at + 2 + len > b.length) corrupt("JPEG strip: truncated segment");
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (m !== 0xc0 && m !== 0xc1) unsupported(`JPEG-in-TIFF frame type 0x${m.toString(16)}`);
      if (components) corrupt("JPEG strip has two frames");
      const height = (b[at + 5] << 8) | b[at + 6];
      const width = (b[at + 7] << 8) | b[at + 8];
      components = b[at + 9];
      if (b[at + 4] !== 8 || (components !== 1 && components !== 3) || len < 8 + 3 * components) {
        unsupported(`JPEG-in-TIFF with ${components} components of ${b[at + 4]} bits`);
      }
      if (width < 1 || height < 1 || width > maxWidth || height > maxHeight) {
        corrupt(`JPEG frame ${width}x${height} does not fit a ${maxWidth}x${maxHeight} segment`);
      }
      for (let c = 0; c < components; c++) {
        const hv = b[at + 11 + 3 * c];
        if (!((hv >> 4) >= 1 && (hv >> 4) <= 4 && (hv & 15) >= 1 && (hv & 15) <= 4)) {
          corrupt(`JPEG component ${c} has sampling factors ${hv >> 4}x${hv & 15}`);
        }
      }
    }
    at += 2 + len;
    if (m === 0xda) {
      if (!components) corrupt("JPEG scan before the frame header");
      if (++scans > components) corrupt(`JPEG strip has more than ${components} scans`);
      // Entropy-coded data runs to the next marker that is not a stuffed 0 or a restart.
      while (
        at + 1 < b.length && !(b[at] === 0xff && b[at + 1] !== 0 && (b[at + 1] & 0xf8) !== 0xd0)
      ) {
        at++;
      }
    }
  }
  if (!scans) corrupt("JPEG strip has no scan");
}

/** A JPEG strip or tile (with the JPEGTables prefix) into `out` as 8-bit RGB or gray. */
function decodeJpegSegment(
  ifd: Ifd,
  src: Uint8Array,
  out: Uint8Array,
  seg: { width: number; height: number; samples: number },
): number {
  // As utif2 does: the tables without their EOI, then the strip without its SOI.
  const tables = ifd.t347 instanceof Uint8Array ? ifd.t347 : undefined;
  let stream = src;
  if (tables && tables.length >= 4) {
    const head = tables.subarray(0, tables.length - 2);
    const body = src[0] === 0xff && src[1] === 0xd8 ? src.subarray(2) : src;
    stream = new Uint8Array(head.length + body.length);
    stream.set(head);
    stream.set(body, head.length);
  }
  checkTiffJpeg(stream, seg.width, seg.height);
  const parser = new JpegDecoder();
  parser.parse(stream);
  const rgb = parser.getData({
    width: parser.width,
    height: parser.height,
    forceRGB: true,
    isSourcePDF: false,
  });
  // The frame may be narrower than the segment only if the file is damaged: rows would shear.
  if (parser.width !== seg.width) corrupt(`JPEG frame is ${parser.width} wide, not ${seg.width}`);
  const n = Math.min(out.length, Math.floor(rgb.length / 3) * seg.samples);
  if (seg.samples === 3) out.set(rgb.subarray(0, n));
  else for (let i = 0; i < n; i++) out[i] = rgb[i * 3];
  return n;
}

/** Bits 7..0 of each byte reversed, for FillOrder 2. */
const REVERSED = Uint8Array.from({ length: 256 }, (_, b) => {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
  return r;
});

/**
 * Decodes one strip or tile into `out` (exactly its rows' bytes), then undoes the byte order
 * of 16-bit samples and the horizontal predictor the way utif2 does. Corrupt when it comes out
 * short: libtiff (hence Pillow) refuses such strips too.
 */
function decodeSegment(
  ifd: Ifd,
  layout: Layout,
  src: Uint8Array,
  out: Uint8Array,
  rows: number,
  isLE: boolean,
): void {
  const { compression, segWidth } = layout;
  const bps = numbers(ifd, 258)?.[0] ?? 1;
  const spp = samplesPerPixel(ifd);
  if (compression !== 7 && numbers(ifd, 266)?.[0] === 2) src = src.map((b) => REVERSED[b]);
  const segRowBytes = Math.ceil((segWidth * layout.bitsPerPixel) / 8);
  let got: number;
  switch (compression) {
    case 1:
      got = Math.min(src.length, out.length);
      out.set(src.subarray(0, got));
      break;
    case 5:
      got = decodeTiffLzw(src, out);
      break;
    case 8:
    case 32946:
      got = inflateInto(src, out);
      break;
    case 32773:
      got = unpackBits(src, out);
      break;
    case 2:
    case 3:
    case 4: {
      if (layout.bitsPerPixel !== 1) unsupported(`CCITT compression with ${bps}-bit samples`);
      const t4 = numbers(ifd, 292)?.[0] ?? 0;
      if (compression === 3 && t4 & 2) unsupported("CCITT uncompressed mode");
      got = decodeCcitt(src, out, segWidth, rows, { compression, t4Options: t4 }) * segRowBytes;
      break;
    }
    default: // 7, the only other entry of COMPRESSIONS
      got = decodeJpegSegment(ifd, src, out, {
        width: segWidth,
        height: layout.segHeight,
        samples: spp,
      });
  }
  if (got < out.length) corrupt(`a strip or tile decodes to ${got} of its ${out.length} bytes`);

  if (bps === 16 && !isLE) {
    for (let i = 0; i + 1 < out.length; i += 2) [out[i], out[i + 1]] = [out[i + 1], out[i]];
  }
  if ((numbers(ifd, 317)?.[0] ?? 1) === 2) {
    const pixelBytes = layout.bitsPerPixel >>> 3;
    for (let y = 0; y < rows; y++) {
      const row = y * segRowBytes;
      if (bps === 8) {
        for (let j = row + pixelBytes; j < row + segRowBytes; j++) {
          out[j] = (out[j] + out[j - pixelBytes]) & 255;
        }
      } else {
        for (let j = row + pixelBytes; j + 1 < row + segRowBytes; j += 2) {
          const v = (out[j] | (out[j + 1] << 8)) +
            (out[j - pixelBytes] | (out[j - pixelBytes + 1] << 8));
          out[j] = v & 255;
          out[j + 1] = (v >>> 8) & 255;
        }
      }
    }
  }
}

/** All strips or tiles of the first image, as utif2's `decodeImage` would lay them out. */
function decodePixels(bytes: Uint8Array, ifd: Ifd, layout: Layout): Uint8Array {
  const { width, height, rowBytes, segWidth, segHeight, offsets, counts, bitsPerPixel } = layout;
  const isLE = bytes[0] === 0x49;
  const pixels = new Uint8Array(height * rowBytes);
  const segment = (i: number, length: number) => {
    // A single uncompressed strip is read to its full size whatever its byte count says
    // (utif2 does: some writers get that count wrong).
    const n = layout.compression === 1 && offsets.length === 1 ? length : counts[i];
    if (!(offsets[i] + n <= bytes.length)) corrupt("pixel data is truncated");
    return bytes.subarray(offsets[i], offsets[i] + n);
  };
  if (!layout.tiled) {
    for (let i = 0; i < offsets.length; i++) {
      const rows = Math.min(segHeight, height - i * segHeight);
      const out = pixels.subarray(i * segHeight * rowBytes, (i * segHeight + rows) * rowBytes);
      decodeSegment(ifd, layout, segment(i, out.length), out, rows, isLE);
    }
    return pixels;
  }
  const tileRowBytes = Math.ceil((segWidth * bitsPerPixel) / 8);
  const tile = new Uint8Array(tileRowBytes * segHeight);
  const across = Math.ceil(width / segWidth);
  for (let i = 0; i < offsets.length; i++) {
    tile.fill(0);
    decodeSegment(ifd, layout, segment(i, tile.length), tile, segHeight, isLE);
    const x0 = Math.ceil(((i % across) * segWidth * bitsPerPixel) / 8);
    const y0 = Math.floor(i / across) * segHeight;
    const copy = Math.min(tileRowBytes, rowBytes - x0);
    for (let y = 0; y < segHeight && y0 + y < height; y++) {
      pixels.set(
        tile.subarray(y * tileRowBytes, y * tileRowBytes + copy),
        (y0 + y) * rowBytes + x0,
      );
    }
  }
  return pixels;
}

/**
 * The first image of a TIFF as RGBA (channels 4). `ImageError`: `corrupt_image` for damaged
 * files (including an IFD whose size disagrees with `probeImage`'s), `unsupported_format` for
 * compressions, sample layouts and colour spaces without a bounded decoder here (old-style
 * JPEG, CMYK, Lab, planar, floating point, camera raw ones).
 */
export function decodeTiff(bytes: Uint8Array): Image {
  const probed = probeImage(bytes);
  const ifds = UTIF.decode(sanitizeTiff(bytes));
  if (ifds.length === 0) corrupt("no image directory");
  const ifd = ifds[0];
  const width = single(ifd, 256);
  const height = single(ifd, 257);
  if (width !== probed.width || height !== probed.height) {
    corrupt(
      `IFD says ${width}x${height} where the header probe read ${probed.width}x${probed.height}`,
    );
  }
  const layout = readLayout(ifd, width, height);
  ifd.data = decodePixels(bytes, ifd, layout);
  ifd.width = width;
  ifd.height = height;
  if (layout.compression === 7 && numbers(ifd, 262)?.[0] === 6) ifd.t262 = [2];
  const rgba = UTIF.toRGBA8(ifd);
  if (rgba.length < width * height * 4) corrupt("pixel data is missing or truncated");
  return makeImage(width, height, 4, rgba.subarray(0, width * height * 4));
}
