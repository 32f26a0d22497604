/**
 * A small BMP decoder (imagescript has none): uncompressed 1/4/8-bit palette, 16/24/32-bit
 * BI_RGB and BI_BITFIELDS. RLE-compressed and embedded JPEG/PNG BMPs are refused as
 * `unsupported_format`.
 * @module
 */
import { type Image, makeImage } from "./image.ts";
import { ImageError } from "./image_error.ts";

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

function corrupt(why: string): never {
  throw new ImageError("corrupt_image", `bmp: ${why}`);
}

/** Position and width of a contiguous bit mask; 5-bit channels scale as Pillow does (v*255/31). */
function maskInfo(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const max = mask >>> shift;
  if ((max & (max + 1)) !== 0) {
    throw new ImageError("unsupported_format", "bmp: non-contiguous mask");
  }
  return { shift, max };
}

/**
 * Decodes a BMP into RGB (channels 3), or RGBA (channels 4) when a bitfield alpha mask is
 * present. Like Pillow, the fourth byte of 32-bit BI_RGB pixels is ignored.
 */
export function decodeBmp(b: Uint8Array): Image {
  const need = (n: number) => {
    if (n > b.length) corrupt("file is truncated");
  };
  need(26);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dataOffset = dv.getUint32(10, true);
  const dib = dv.getUint32(14, true);
  let width: number, height: number, bits: number, compression = BI_RGB, colorsUsed = 0;
  const core = dib === 12;
  if (core) {
    width = dv.getUint16(18, true);
    height = dv.getUint16(20, true);
    bits = dv.getUint16(24, true);
  } else {
    if (dib < 40) corrupt(`unknown DIB header size ${dib}`);
    need(14 + 40);
    width = dv.getInt32(18, true);
    height = dv.getInt32(22, true);
    bits = dv.getUint16(28, true);
    compression = dv.getUint32(30, true);
    colorsUsed = dv.getUint32(46, true);
  }
  const topDown = height < 0;
  height = Math.abs(height);
  if (width <= 0 || height <= 0) corrupt(`size ${width}x${height}`);
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    throw new ImageError("unsupported_format", `bmp: compression ${compression} is not supported`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bits)) corrupt(`bit depth ${bits}`);

  // Palette for <= 8 bits: BGRX quads (BGR triples in the old OS/2 core header).
  let palette: Uint8Array | null = null;
  if (bits <= 8) {
    const entry = core ? 3 : 4;
    const n = colorsUsed > 0 && colorsUsed <= 1 << bits ? colorsUsed : 1 << bits;
    const start = 14 + dib;
    palette = new Uint8Array(256 * 3); // entries past the table stay black
    for (let i = 0; i < n; i++) {
      const p = start + i * entry;
      if (p + 3 > b.length) break;
      palette[i * 3] = b[p + 2];
      palette[i * 3 + 1] = b[p + 1];
      palette[i * 3 + 2] = b[p];
    }
  }

  // Channel masks for 16/32-bit pixels.
  let masks = bits === 16 ? [0x7c00, 0x3e0, 0x1f, 0] : [0xff0000, 0xff00, 0xff, 0];
  if (compression !== BI_RGB) {
    if (bits !== 16 && bits !== 32) corrupt(`bitfields with ${bits} bits per pixel`);
    const at = 14 + 40; // after a 40-byte header the masks follow it; V4/V5 hold them in place
    need(at + 16);
    masks = [0, 1, 2, 3].map((i) => dv.getUint32(at + i * 4, true));
    if (dib === 40 && compression === BI_BITFIELDS) masks[3] = 0;
  }
  const info = masks.map(maskInfo);
  const hasAlpha = info[3].max > 0;

  const stride = Math.floor((bits * width + 31) / 32) * 4;
  need(dataOffset + stride * (height - 1) + Math.ceil((bits * width) / 8));
  const ch = hasAlpha ? 4 : 3;
  const out = new Uint8Array(width * height * ch);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    let o = y * width * ch;
    for (let x = 0; x < width; x++, o += ch) {
      if (palette) {
        const ppb = 8 / bits; // pixels per byte
        const byte = b[row + Math.floor(x / ppb)];
        const shift = 8 - bits * ((x % ppb) + 1);
        const idx = (byte >> shift) & ((1 << bits) - 1);
        out[o] = palette[idx * 3];
        out[o + 1] = palette[idx * 3 + 1];
        out[o + 2] = palette[idx * 3 + 2];
      } else if (bits === 24) {
        const p = row + x * 3;
        out[o] = b[p + 2];
        out[o + 1] = b[p + 1];
        out[o + 2] = b[p];
      } else {
        const p = row + x * (bits / 8);
        const v = bits === 16 ? dv.getUint16(p, true) : dv.getUint32(p, true);
        for (let c = 0; c < ch; c++) {
          const { shift, max } = info[c];
          const raw = (v >>> shift) & max;
          out[o + c] = max === 255 ? raw : max === 0 ? 0 : Math.floor((raw * 255) / max);
        }
      }
    }
  }
  return makeImage(width, height, ch, out);
}
