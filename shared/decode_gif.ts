/**
 * GIF -> RGBA of the first frame, with imagescript 1.3.1's GIF wasm (`wasm/any/gif.wasm`)
 * called directly: the package's main entry loads a native addon (needs FFI) and its glue
 * (`wasm/node/gif.js`) reads the file with Node's `fs`.
 *
 * The first frame is placed on the logical screen as imagescript's `GIF.decode` does: screen
 * pixels it does not cover, and its transparent pixels, are transparent black (so they become
 * the background colour). Unlike imagescript, a frame reaching past the screen is clipped
 * rather than wrapped onto the next row.
 *
 * The wasm is loaded by `WasmLoader` (bytes import, else fetch; see load_wasm.ts). Where neither
 * works, call `setGifWasm` with the module or its bytes.
 * @module
 */
import { type Image, makeImage } from "./image.ts";
import { ImageError } from "./image_error.ts";
import { WasmLoader, type WasmSource } from "./load_wasm.ts";

const loader = new WasmLoader(
  "imagescript/wasm/any/gif.wasm",
  () => import("imagescript/wasm/any/gif.wasm", { with: { type: "bytes" } }),
  "setGifWasm",
);

/** The decoding exports of `gif.wasm` (wasm32: pointers are i32). */
interface GifWasm {
  memory: WebAssembly.Memory;
  walloc(size: number): number;
  /** Length in bytes of the last frame buffer. */
  wlen(): number;
  /** A decoder over `size` bytes at `ptr`, or 0 when the header is unreadable. */
  decoder_new(ptr: number, size: number, limit: number): number;
  decoder_width(decoder: number): number;
  decoder_height(decoder: number): number;
  /** The next frame, 1 after the last one, 0 on an error. */
  decoder_frame(decoder: number): number;
  decoder_frame_x(frame: number): number;
  decoder_frame_y(frame: number): number;
  decoder_frame_width(frame: number): number;
  decoder_frame_height(frame: number): number;
  /** The frame's RGBA pixels (`wlen()` bytes). */
  decoder_frame_buffer(frame: number): number;
}

/**
 * Supplies the GIF wasm (`imagescript/wasm/any/gif.wasm`, as a compiled module or its bytes)
 * where the default loader cannot get it. `null` restores the default loader.
 */
export function setGifWasm(wasm: WasmSource | null): void {
  loader.set(wasm);
}

/** Loads and compiles the GIF wasm once; rejects with a plain `Error` when it cannot. */
export function gifCodecReady(): Promise<WebAssembly.Module> {
  return loader.ready();
}

/** Places `frame` ([fh, fw, 4]) at (fx, fy) on a transparent [height, width, 4] screen. */
function onScreen(
  frame: Uint8Array,
  fx: number,
  fy: number,
  fw: number,
  fh: number,
  width: number,
  height: number,
): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  const w = Math.min(fw, width - fx);
  const h = Math.min(fh, height - fy);
  for (let y = 0; y < h; y++) {
    let i = y * fw * 4;
    let o = ((fy + y) * width + fx) * 4;
    for (let x = 0; x < w; x++, i += 4, o += 4) {
      if (frame[i + 3] === 0) continue;
      out[o] = frame[i];
      out[o + 1] = frame[i + 1];
      out[o + 2] = frame[i + 2];
      out[o + 3] = frame[i + 3];
    }
  }
  return out;
}

/**
 * Decodes the first frame of a GIF onto its logical screen as RGBA (channels 4). Check the
 * screen and first-frame sizes against your limits before calling (`probeImage`,
 * `gifFirstFrameSize`): this allocates both.
 * Throws `ImageError` `corrupt_image` for data it cannot decode (or a plain `Error` from a
 * failing wasm, which the caller maps to the same), and rejects like `gifCodecReady` when the
 * wasm cannot be loaded.
 */
export async function decodeGif(bytes: Uint8Array): Promise<Image> {
  // A fresh instance per image: GIFs are rare, and nothing of a failed decode can linger.
  const gif = new WebAssembly.Instance(await loader.ready(), {
    env: { push_to_stream: () => {} }, // used by the encoder only
  }).exports as unknown as GifWasm;
  const src = gif.walloc(bytes.length) >>> 0;
  new Uint8Array(gif.memory.buffer, src, bytes.length).set(bytes);
  const decoder = gif.decoder_new(src, bytes.length, 0) >>> 0;
  if (decoder === 0) throw new ImageError("corrupt_image", "gif: unreadable header");
  const width = gif.decoder_width(decoder) >>> 0;
  const height = gif.decoder_height(decoder) >>> 0;
  const frame = gif.decoder_frame(decoder) >>> 0;
  if (frame === 1) throw new ImageError("corrupt_image", "gif: no frames");
  if (frame === 0) throw new ImageError("corrupt_image", "gif: cannot decode the first frame");
  const fx = gif.decoder_frame_x(frame) >>> 0;
  const fy = gif.decoder_frame_y(frame) >>> 0;
  const fw = gif.decoder_frame_width(frame) >>> 0;
  const fh = gif.decoder_frame_height(frame) >>> 0;
  const buffer = gif.decoder_frame_buffer(frame) >>> 0;
  const length = gif.wlen() >>> 0;
  if (length < fw * fh * 4) {
    throw new ImageError("corrupt_image", `gif: first frame has ${length} bytes for ${fw}x${fh}`);
  }
  const rgba = new Uint8Array(gif.memory.buffer, buffer, fw * fh * 4);
  return makeImage(width, height, 4, onScreen(rgba, fx, fy, fw, fh, width, height));
}
