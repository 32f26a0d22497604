/**
 * Bytes -> RGB `Image`, for every side of edgeclass. The format comes from the magic bytes and
 * the size from the header, checked against the limits before any pixel is decoded.
 *
 * Decoders: `decodeJpeg` (libjpeg-turbo as wasm, pixels equal to Pillow's; decode_jpeg.ts),
 * imagescript 1.3.1's PNG and GIF wasm (decode_png.ts, decode_gif.ts), utif2 for TIFF
 * (imagescript's TIFF decoder fails on every file Pillow writes), and `decodeBmp` for BMP.
 * WebP is recognised but refused as `unsupported_format`. No Node built-ins and no FFI: the
 * three `.wasm` files come from bytes imports or `fetch` (load_wasm.ts); where neither works
 * (a bundled web app), supply them with `setJpegWasm`, `setPngWasm` and `setGifWasm`.
 *
 * Differences from Pillow that remain: 16-bit grayscale keeps the high byte where Pillow's
 * `I;16 -> RGB` conversion saturates to 255; arithmetic-coded JPEGs are `unsupported_format`.
 * @module
 */
import { decodeBmp } from "./decode_bmp.ts";
import { decodeGif, gifCodecReady } from "./decode_gif.ts";
import { decodeJpeg, jpegCodecReady } from "./decode_jpeg.ts";
import { decodePng, pngCodecReady } from "./decode_png.ts";
import { decodeTiff } from "./decode_tiff.ts";
import { applyOrientation, jpegOrientation } from "./exif_orientation.ts";
import { type Image, makeImage } from "./image.ts";
import { ImageError } from "./image_error.ts";
import { gifFirstFrameSize, type ImageFormat, probeImage } from "./probe_image.ts";

export { setJpegWasm } from "./decode_jpeg.ts";
export { setPngWasm } from "./decode_png.ts";
export { setGifWasm } from "./decode_gif.ts";
export type { WasmSource } from "./load_wasm.ts";

/** Refuse images with more pixels than this (decompression bombs). */
export const DEFAULT_MAX_PIXELS = 40_000_000;
/** Refuse files larger than this many bytes. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** Limits and the colour under transparent pixels. */
export interface DecodeOptions {
  /** Largest width * height accepted (default 40 MP); more gives `too_many_pixels`. */
  maxPixels?: number;
  /** Largest file accepted in bytes (default 64 MiB); more gives `too_large`. */
  maxBytes?: number;
  /** RGB that transparent pixels are composited over (default white). */
  background?: readonly [number, number, number];
}

/** Loaders of the codecs that are wasm, by format. */
const WASM_READY: Partial<Record<ImageFormat, () => Promise<unknown>>> = {
  jpeg: jpegCodecReady,
  png: pngCodecReady,
  gif: gifCodecReady,
};

/**
 * Composites RGBA over an opaque `background` into RGB, with the integer arithmetic of Pillow's
 * `Image.alpha_composite(Image.new("RGBA", size, background), im)` (7 fraction bits, rounded
 * division by 255), so results equal Pillow's bit for bit. Opaque pixels are copied unchanged.
 */
export function rgbaToRgb(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  background: readonly [number, number, number] = [255, 255, 255],
): Image {
  const n = width * height;
  const out = new Uint8Array(n * 3);
  const [br, bg, bb] = background;
  const blend = (src: number, dst: number, a: number) => {
    const x = (src * a + dst * (255 - a)) * 128 + (0x80 << 7);
    return ((x >> 8) + x) >> 15;
  };
  for (let i = 0, o = 0; i < n * 4; i += 4, o += 3) {
    const a = rgba[i + 3];
    if (a === 255) {
      out[o] = rgba[i];
      out[o + 1] = rgba[i + 1];
      out[o + 2] = rgba[i + 2];
    } else if (a === 0) {
      out[o] = br;
      out[o + 1] = bg;
      out[o + 2] = bb;
    } else {
      out[o] = blend(rgba[i], br, a);
      out[o + 1] = blend(rgba[i + 1], bg, a);
      out[o + 2] = blend(rgba[i + 2], bb, a);
    }
  }
  return makeImage(width, height, 3, out);
}

/** Grayscale or RGB pixels of any `Image` as RGB; RGBA is composited over `background`. */
function toRgb(img: Image, background: readonly [number, number, number]): Image {
  if (img.channels === 3) return img;
  if (img.channels === 4) return rgbaToRgb(img.data, img.width, img.height, background);
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0, o = 0; i < n; i++, o += 3) {
    const v = img.data[i];
    out[o] = v;
    out[o + 1] = v;
    out[o + 2] = v;
  }
  return makeImage(img.width, img.height, 3, out);
}

async function decodeByFormat(
  format: ImageFormat,
  bytes: Uint8Array,
  width: number,
  height: number,
): Promise<Image> {
  switch (format) {
    case "jpeg":
      return await decodeJpeg(bytes);
    case "png":
      return await decodePng(bytes, width * height);
    case "gif":
      return await decodeGif(bytes);
    case "tiff":
      return decodeTiff(bytes);
    case "bmp":
      return decodeBmp(bytes);
    case "webp":
      throw new ImageError("unsupported_format", "webp is recognised but not supported");
  }
}

/**
 * Decodes PNG, JPEG (EXIF orientation applied), GIF (first frame), TIFF (first page) or BMP
 * into an RGB `Image` (channels 3). Gray, palette and 16-bit images become 8-bit RGB; alpha is
 * composited over `background` (white by default) like Pillow's `alpha_composite`.
 *
 * Throws `ImageError` only: `too_large` (file over `maxBytes`), `unsupported_format` (unknown
 * magic bytes or an unsupported variant), `too_many_pixels` (header size over `maxPixels`,
 * checked before decoding), `corrupt_image` (empty, truncated or malformed data).
 */
export async function decodeImage(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<Image> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const background = opts.background ?? [255, 255, 255];
  if (bytes.length > maxBytes) {
    throw new ImageError("too_large", `image is ${bytes.length} bytes, over the ${maxBytes} limit`);
  }
  const { format, width, height } = probeImage(bytes);
  if (width * height > maxPixels) {
    throw new ImageError(
      "too_many_pixels",
      `${format} is ${width}x${height} = ${width * height} pixels, over the ${maxPixels} limit`,
    );
  }
  if (format === "gif") {
    // Frames may be larger than the logical screen, and the decoder allocates a full frame.
    const [fw, fh] = gifFirstFrameSize(bytes);
    if (fw * fh > maxPixels) {
      throw new ImageError(
        "too_many_pixels",
        `gif first frame is ${fw}x${fh} = ${fw * fh} pixels, over the ${maxPixels} limit`,
      );
    }
  }
  // A wasm that cannot be loaded is a deployment fault: let it out as itself, not as a corrupt
  // image.
  await WASM_READY[format]?.();
  let img: Image;
  try {
    img = await decodeByFormat(format, bytes, width, height);
  } catch (e) {
    if (e instanceof ImageError) throw e;
    throw new ImageError("corrupt_image", `${format}: cannot decode: ${(e as Error)?.message}`, {
      cause: e,
    });
  }
  if (img.width !== width || img.height !== height) {
    throw new ImageError(
      "corrupt_image",
      `${format}: header says ${width}x${height} but the pixels are ${img.width}x${img.height}`,
    );
  }
  const rgb = toRgb(img, background);
  return format === "jpeg" ? applyOrientation(rgb, jpegOrientation(bytes)) : rgb;
}
