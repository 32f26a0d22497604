/**
 * JPEG -> RGB with libjpeg-turbo 2.0 (the TurboJPEG API of npm `@cwasm/jpeg-turbo`: a standalone
 * wasm without Emscripten glue), called with the settings Pillow uses: accurate integer IDCT
 * (ISLOW) and fancy chroma upsampling. Pillow 9.4 decodes with libjpeg-turbo 2.1, whose output
 * for valid files is the same, so pixels equal Pillow's `Image.open(f).convert("RGB")` bit for
 * bit: colour (any sampling factors), grayscale, CMYK, baseline and progressive (YCCK follows
 * the same path but is untested: Pillow cannot write it).
 *
 * Only the package's `.wasm` is used (its `index.js` reads the file with Node's `fs`), loaded by
 * `WasmLoader` (load_wasm.ts): a bytes import (Deno with `--unstable-raw-imports`, no read
 * permission needed), else a fetch of `import.meta.resolve("@cwasm/jpeg-turbo/jpeg-turbo.wasm")`
 * (Deno with read access, or a browser through its import map). Where neither works (a bundle,
 * a worker without an import map), call `setJpegWasm` with the module or its bytes.
 *
 * Verdicts follow Pillow's: a file that ends before its EOI marker is `corrupt_image` (Pillow:
 * "image file is truncated", unless LOAD_TRUNCATED_IMAGES), while damaged entropy data in a
 * complete file decodes as libjpeg recovers it (Pillow ignores libjpeg's warnings too). Arithmetic
 * coding is missing from this build: such files are `unsupported_format` (Pillow reads them; no
 * browser does).
 * @module
 */
import { type Image, makeImage } from "./image.ts";
import { ImageError } from "./image_error.ts";
import { WasmLoader, type WasmSource } from "./load_wasm.ts";

/**
 * A progressive JPEG is decoded in one pass per scan over all coefficients, so a small file of
 * many tiny scans costs minutes ("scan bombs"). Encoders write about 10; libjpeg-turbo's own
 * tools stop at 500 (`djpeg -maxscans`), and so do we.
 */
export const MAX_JPEG_SCANS = 500;

/**
 * Images up to this many pixels reuse one cached wasm instance; larger ones get a throwaway
 * instance, so that the memory a huge image needed is not held for the life of the process.
 */
const REUSE_MAX_PIXELS = 4_000_000;

const FATAL = "libjpeg reported a fatal error";

/** TurboJPEG's colorspaces (`TJCS_*`) and pixel formats (`TJPF_*`). */
const TJCS_CMYK = 3;
const TJCS_YCCK = 4;
const TJPF_RGB = 0;
const TJPF_CMYK = 11;

/** The exports of `jpeg-turbo.wasm` (wasm32: pointers and `unsigned long` are i32). */
interface TurboJpeg {
  memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(ptr: number): void;
  tjInitDecompress(): number;
  tjDestroy(handle: number): number;
  tjDecompressHeader3(
    handle: number,
    jpeg: number,
    jpegSize: number,
    width: number,
    height: number,
    subsamp: number,
    colorspace: number,
  ): number;
  tjDecompress2(
    handle: number,
    jpeg: number,
    jpegSize: number,
    dst: number,
    width: number,
    pitch: number,
    height: number,
    pixelFormat: number,
    flags: number,
  ): number;
}

/** What the marker walk found; see `jpegStructure`. */
export interface JpegStructure {
  /** An EOI marker ends the data (anything after it is ignored, as libjpeg does). */
  complete: boolean;
  /** Number of SOS (start of scan) markers before EOI. */
  scans: number;
  /** The first SOFn marker code (0xC0 baseline, 0xC1 extended, 0xC2 progressive, ...), or 0. */
  sof: number;
  /** Sample precision in bits from the frame header, or 0 without one. */
  precision: number;
  /** Number of colour components from the frame header, or 0 without one. */
  components: number;
  /** Stored size from the frame header (0 without one). */
  width: number;
  height: number;
}

/** SOF markers: C0-CF except DHT (C4), JPG (C8) and DAC (CC). */
function isSof(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

/**
 * Walks a JPEG's markers the way libjpeg reads them: segments are skipped by their length, and
 * between them (entropy-coded data, or garbage libjpeg would skip with a warning) the next
 * marker is the next 0xFF followed by a byte other than 0x00, 0xFF or RSTn. Never throws.
 */
export function jpegStructure(bytes: Uint8Array): JpegStructure {
  const b = bytes;
  const n = b.length;
  const s: JpegStructure = {
    complete: false,
    scans: 0,
    sof: 0,
    precision: 0,
    components: 0,
    width: 0,
    height: 0,
  };
  let at = 2; // after SOI
  while (at < n) {
    const ff = b.indexOf(0xff, at);
    if (ff < 0) break;
    let i = ff + 1;
    while (i < n && b[i] === 0xff) i++; // fill bytes
    if (i >= n) break;
    const m = b[i];
    at = i + 1;
    // stuffed 0xFF in entropy data, restart markers, TEM and a stray SOI carry no length
    if (m === 0x00 || (m >= 0xd0 && m <= 0xd8) || m === 0x01) continue;
    if (m === 0xd9) {
      s.complete = true;
      break;
    }
    if (at + 2 > n) break;
    const len = (b[at] << 8) | b[at + 1];
    if (m === 0xda) s.scans++;
    if (isSof(m) && s.sof === 0 && at + 8 <= n) {
      s.sof = m;
      s.precision = b[at + 2];
      s.height = (b[at + 3] << 8) | b[at + 4];
      s.width = (b[at + 5] << 8) | b[at + 6];
      s.components = b[at + 7];
    }
    at += Math.max(len, 2);
  }
  return s;
}

const loader = new WasmLoader(
  "@cwasm/jpeg-turbo/jpeg-turbo.wasm",
  () => import("@cwasm/jpeg-turbo/jpeg-turbo.wasm", { with: { type: "bytes" } }),
  "setJpegWasm",
);
let cached: { mod: WebAssembly.Module; tj: TurboJpeg } | null = null;

/**
 * Supplies the libjpeg-turbo wasm (`@cwasm/jpeg-turbo/jpeg-turbo.wasm`, as a compiled module or
 * its bytes) where the default loader cannot get it, e.g. in a bundled web app:
 * `setJpegWasm(await WebAssembly.compileStreaming(fetch(wasmUrl)))`. `null` restores the
 * default loader.
 */
export function setJpegWasm(wasm: WasmSource | null): void {
  cached = null;
  loader.set(wasm);
}

/**
 * Loads and compiles the JPEG wasm once (the default loader or what `setJpegWasm` gave).
 * Rejects with a plain `Error` when it cannot: that is a deployment fault, not a bad image.
 */
export function jpegCodecReady(): Promise<WebAssembly.Module> {
  return loader.ready();
}

function instantiate(mod: WebAssembly.Module): TurboJpeg {
  const unavailable = (name: string) => () => {
    throw new Error(`jpeg wasm called ${name}`);
  };
  const imports = {
    env: {
      // The build has no real setjmp: libjpeg's fatal errors arrive as this throw, unwinding
      // out of the wasm without restoring its stack pointer, so the instance is then dropped.
      setjmp: () => 0,
      longjmp: () => {
        throw new Error(FATAL);
      },
    },
    wasi_snapshot_preview1: {
      environ_sizes_get: () => 0,
      environ_get: unavailable("environ_get"),
      proc_exit: unavailable("proc_exit"),
      fd_close: unavailable("fd_close"),
      fd_seek: unavailable("fd_seek"),
      fd_write: unavailable("fd_write"),
    },
  };
  return new WebAssembly.Instance(mod, imports).exports as unknown as TurboJpeg;
}

/** Pillow's CMYK -> RGB of Adobe-inverted CMYK (libjpeg's output): `nk - MULDIV255(c, nk)`. */
function invertedCmykToRgb(cmyk: Uint8Array, width: number, height: number): Image {
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0, o = 0; i < n * 4; i += 4, o += 3) {
    // Pillow reads CMYK JPEGs as "CMYK;I", so its c = 255 - stored c and nk = stored k.
    const nk = cmyk[i + 3];
    for (let c = 0; c < 3; c++) {
      const t = (255 - cmyk[i + c]) * nk + 128;
      out[o + c] = nk - (((t >> 8) + t) >> 8);
    }
  }
  return makeImage(width, height, 3, out);
}

function corrupt(why: string, cause?: unknown): ImageError {
  return new ImageError("corrupt_image", `jpeg: ${why}`, cause === undefined ? {} : { cause });
}

/** Decodes with `tj`; throws ImageError for what the data says, anything else for wasm faults. */
function decodeWith(tj: TurboJpeg, bytes: Uint8Array): Image {
  const src = tj.malloc(bytes.length) >>> 0;
  const meta = tj.malloc(16) >>> 0;
  const handle = tj.tjInitDecompress() >>> 0;
  if (!src || !meta || !handle) throw new Error("jpeg: out of wasm memory");
  let dst = 0;
  let wasmThrew = false;
  try {
    new Uint8Array(tj.memory.buffer, src, bytes.length).set(bytes);
    wasmThrew = true;
    const header = tj.tjDecompressHeader3(
      handle,
      src,
      bytes.length,
      meta,
      meta + 4,
      meta + 8,
      meta + 12,
    );
    wasmThrew = false;
    const [width, height, , colorspace] = new Int32Array(tj.memory.buffer, meta, 4);
    // TurboJPEG also returns -1 for libjpeg's warnings (e.g. extraneous bytes before a marker)
    // and for sampling factors it has no name for; libjpeg decodes both, and so does Pillow.
    // The outputs are filled in then: only missing outputs mean an unreadable header.
    if (header && !(width > 0 && height > 0 && colorspace >= 0 && colorspace <= TJCS_YCCK)) {
      throw corrupt("unreadable header");
    }
    const cmyk = colorspace === TJCS_CMYK || colorspace === TJCS_YCCK;
    const ch = cmyk ? 4 : 3;
    if (width <= 0 || height <= 0) throw corrupt(`bad size ${width}x${height}`);
    dst = tj.malloc(width * height * ch) >>> 0;
    if (!dst) throw new Error("jpeg: out of wasm memory");
    // flags 0: ISLOW IDCT and fancy upsampling, as Pillow. Gray is replicated to RGB by libjpeg.
    // A non-zero result without a throw means libjpeg only warned (corrupt entropy data): keep
    // what it recovered, as Pillow does (truncation was refused before). Recovered pixels can
    // differ from Pillow's, since libjpeg-turbo versions recover differently.
    const pf = cmyk ? TJPF_CMYK : TJPF_RGB;
    wasmThrew = true;
    tj.tjDecompress2(handle, src, bytes.length, dst, width, width * ch, height, pf, 0);
    wasmThrew = false;
    const px = new Uint8Array(tj.memory.buffer, dst, width * height * ch);
    return cmyk ? invertedCmykToRgb(px, width, height) : makeImage(width, height, 3, px.slice());
  } catch (e) {
    if (e instanceof ImageError) throw e;
    if (e instanceof Error && e.message === FATAL) throw corrupt("libjpeg cannot decode it", e);
    throw e;
  } finally {
    // after a throw out of the wasm the instance is dropped unused (its state is not to be
    // trusted), so only clean up after normal returns
    if (!wasmThrew) {
      if (dst) tj.free(dst);
      tj.free(meta);
      tj.free(src);
      tj.tjDestroy(handle);
    }
  }
}

/**
 * Decodes a JPEG into RGB (channels 3) at its stored orientation (EXIF is not applied here),
 * equal to Pillow's `Image.open(f).convert("RGB")`. Check the header size against your limits
 * before calling (`probeImage`): this allocates width x height x 4 bytes.
 *
 * Throws `ImageError`: `corrupt_image` (truncated before EOI, malformed, over
 * `MAX_JPEG_SCANS` scans), `unsupported_format` (not 8-bit; 2 components; arithmetic,
 * lossless or hierarchical coding, SOF3 and SOF5-SOF15). A missing wasm rejects with a plain
 * `Error` (see `setJpegWasm`).
 */
export async function decodeJpeg(bytes: Uint8Array): Promise<Image> {
  const mod = await jpegCodecReady();
  const s = jpegStructure(bytes);
  if (s.sof === 0) throw corrupt("no frame header");
  // This build has Huffman coding only (no arithmetic, lossless or hierarchical processes);
  // browsers do not decode those either.
  if (s.sof > 0xc2) {
    throw new ImageError("unsupported_format", `jpeg: frame type SOF${s.sof - 0xc0}`);
  }
  if (s.precision !== 8) {
    throw new ImageError("unsupported_format", `jpeg: ${s.precision}-bit samples`);
  }
  if (s.components !== 1 && s.components !== 3 && s.components !== 4) {
    throw new ImageError("unsupported_format", `jpeg: ${s.components} components`);
  }
  if (!s.complete) throw corrupt("file is truncated (no EOI marker)");
  if (s.scans === 0) throw corrupt("no image data");
  if (s.scans > MAX_JPEG_SCANS) throw corrupt(`${s.scans} scans, over ${MAX_JPEG_SCANS}`);
  const reuse = s.width * s.height <= REUSE_MAX_PIXELS;
  const tj = reuse && cached?.mod === mod ? cached.tj : instantiate(mod);
  try {
    const img = decodeWith(tj, bytes);
    if (reuse) cached = { mod, tj };
    return img;
  } catch (e) {
    // after a throw out of the wasm its stack pointer and heap are not to be trusted
    if (cached?.tj === tj) cached = null;
    throw e;
  }
}
