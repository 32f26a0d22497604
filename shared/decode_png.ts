/**
 * PNG -> RGBA with imagescript 1.3.1's PNG wasm (`wasm/any/png.wasm`), called directly: the
 * package's own glue (`wasm/node/png.js`) reads the file with Node's `fs`. Pixels equal
 * Pillow's for 8-bit and palette images and for 16-bit RGB (both keep the high byte); 16-bit
 * grayscale keeps the high byte where Pillow saturates (see decode.ts).
 *
 * The wasm is loaded by `WasmLoader` (bytes import, else fetch; see load_wasm.ts). Where neither
 * works, call `setPngWasm` with the module or its bytes.
 * @module
 */
import { type Image, makeImage } from "./image.ts";
import { WasmLoader, type WasmSource } from "./load_wasm.ts";

const loader = new WasmLoader(
  "imagescript/wasm/any/png.wasm",
  () => import("imagescript/wasm/any/png.wasm", { with: { type: "bytes" } }),
  "setPngWasm",
);

/**
 * Images up to this many pixels reuse one cached wasm instance (a fresh instance costs a memory
 * grow per decode); larger ones get a throwaway instance, so that the memory a huge image
 * needed is not kept for the life of the process.
 */
const REUSE_MAX_PIXELS = 4_000_000;

/** The exports of `png.wasm` (wasm32: pointers are i32). */
interface PngWasm {
  memory: WebAssembly.Memory;
  walloc(size: number): number;
  wfree(ptr: number): void;
  /** Decodes to RGBA 8-bit; returns the pixels' pointer, or a negative status. */
  decode(ptr: number, size: number): number;
  width(): number;
  height(): number;
}

let cached: { mod: WebAssembly.Module; png: PngWasm } | null = null;

/**
 * Supplies the PNG wasm (`imagescript/wasm/any/png.wasm`, as a compiled module or its bytes)
 * where the default loader cannot get it. `null` restores the default loader.
 */
export function setPngWasm(wasm: WasmSource | null): void {
  cached = null;
  loader.set(wasm);
}

/** Loads and compiles the PNG wasm once; rejects with a plain `Error` when it cannot. */
export function pngCodecReady(): Promise<WebAssembly.Module> {
  return loader.ready();
}

function instantiate(mod: WebAssembly.Module): PngWasm {
  // The glue only refreshes its memory view on growth; we take a fresh view after each call.
  const imports = { env: { emscripten_notify_memory_growth: () => {} } };
  return new WebAssembly.Instance(mod, imports).exports as unknown as PngWasm;
}

function decodeWith(png: PngWasm, bytes: Uint8Array): Image {
  const src = png.walloc(bytes.length) >>> 0;
  new Uint8Array(png.memory.buffer, src, bytes.length).set(bytes);
  const status = png.decode(src, bytes.length);
  png.wfree(src);
  if (status < 0) throw new Error(`png: failed to decode (${status})`);
  const width = png.width() >>> 0;
  const height = png.height() >>> 0;
  const at = status >>> 0;
  const rgba = new Uint8Array(png.memory.buffer, at, width * height * 4).slice();
  png.wfree(at);
  return makeImage(width, height, 4, rgba);
}

/**
 * Decodes a PNG into RGBA (channels 4, 8-bit). Check the header size against your limits
 * before calling (`probeImage`): this allocates width x height x 4 bytes and more.
 * Throws a plain `Error` for data it cannot decode (the caller maps it to `corrupt_image`), and
 * rejects like `pngCodecReady` when the wasm cannot be loaded.
 */
export async function decodePng(bytes: Uint8Array, pixels: number): Promise<Image> {
  const mod = await loader.ready();
  const reuse = pixels <= REUSE_MAX_PIXELS;
  const png = reuse && cached?.mod === mod ? cached.png : instantiate(mod);
  try {
    const img = decodeWith(png, bytes);
    if (reuse) cached = { mod, png };
    return img;
  } catch (e) {
    // a failed decode may leave the instance in a bad state (a trap mid-allocation)
    if (cached?.png === png) cached = null;
    throw e;
  }
}
