/**
 * EXIF orientation: reading tag 0x0112 from a JPEG's APP1 segment and applying it the way
 * `PIL.ImageOps.exif_transpose` does.
 * @module
 */
import { type Image, makeImage } from "./image.ts";

/**
 * The EXIF Orientation (1..8) of a JPEG, or 1 when there is none or the EXIF block is
 * malformed (a broken EXIF block should not make an otherwise good photo unusable).
 */
export function jpegOrientation(bytes: Uint8Array): number {
  const b = bytes;
  const n = b.length;
  if (n < 4 || b[0] !== 0xff || b[1] !== 0xd8) return 1;
  let at = 2;
  while (at + 4 <= n) {
    if (b[at] !== 0xff) return 1;
    const m = b[at + 1];
    if (m === 0xff) {
      at++;
      continue;
    }
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      at += 2;
      continue;
    }
    // EXIF lives before the image data; stop at the first frame or scan header.
    if (m === 0xda || m === 0xd9 || (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xcc)) {
      return 1;
    }
    const len = (b[at + 2] << 8) | b[at + 3];
    const seg = at + 4;
    if (
      m === 0xe1 && len >= 8 && seg + len - 2 <= n &&
      b[seg] === 0x45 && b[seg + 1] === 0x78 && b[seg + 2] === 0x69 && b[seg + 3] === 0x66 &&
      b[seg + 4] === 0 && b[seg + 5] === 0
    ) {
      return tiffOrientation(b.subarray(seg + 6, seg + len - 2));
    }
    if (len < 2) return 1;
    at += 2 + len;
  }
  return 1;
}

/** Orientation from IFD0 of a TIFF-structured EXIF block; 1 if absent or invalid. */
function tiffOrientation(t: Uint8Array): number {
  if (t.length < 8) return 1;
  const le = t[0] === 0x49 && t[1] === 0x49;
  if (!le && !(t[0] === 0x4d && t[1] === 0x4d)) return 1;
  const u16 = (i: number) => (le ? t[i] | (t[i + 1] << 8) : (t[i] << 8) | t[i + 1]);
  const u32 = (i: number) => (le ? u16(i) + u16(i + 2) * 65536 : u16(i) * 65536 + u16(i + 2));
  const ifd = u32(4);
  if (ifd + 2 > t.length) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > t.length) return 1;
    if (u16(e) !== 0x0112) continue;
    // SHORT, count 1: the value sits left-justified in the value field
    const v = u16(e + 2) === 3 ? u16(e + 8) : 1;
    return v >= 1 && v <= 8 ? v : 1;
  }
  return 1;
}

/**
 * Returns `img` turned upright for EXIF `orientation`, matching Pillow's `exif_transpose`:
 * 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise, 7 transverse,
 * 8 rotate 90 counter-clockwise. 1 (and anything unknown) returns `img` itself.
 */
export function applyOrientation(img: Image, orientation: number): Image {
  if (orientation < 2 || orientation > 8 || !Number.isInteger(orientation)) return img;
  const { width: w, height: h, channels: ch, data } = img;
  const swap = orientation >= 5;
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  const out = new Uint8Array(data.length);
  // For each output pixel (x, y), the source pixel is src = base + x * dx + y * dy (in pixels).
  let base: number, dx: number, dy: number;
  switch (orientation) {
    case 2: // mirror: src (w-1-x, y)
      [base, dx, dy] = [w - 1, -1, w];
      break;
    case 3: // rotate 180: src (w-1-x, h-1-y)
      [base, dx, dy] = [w * h - 1, -1, -w];
      break;
    case 4: // flip: src (x, h-1-y)
      [base, dx, dy] = [(h - 1) * w, 1, -w];
      break;
    case 5: // transpose: src (y, x)
      [base, dx, dy] = [0, w, 1];
      break;
    case 6: // rotate 90 clockwise: src (y, h-1-x)
      [base, dx, dy] = [(h - 1) * w, -w, 1];
      break;
    case 7: // transverse: src (w-1-y, h-1-x)
      [base, dx, dy] = [w * h - 1, -w, -1];
      break;
    default: // 8, rotate 90 counter-clockwise: src (w-1-y, x)
      [base, dx, dy] = [w - 1, w, -1];
  }
  let o = 0;
  for (let y = 0; y < oh; y++) {
    let s = base + y * dy;
    for (let x = 0; x < ow; x++, s += dx) {
      const p = s * ch;
      for (let c = 0; c < ch; c++) out[o++] = data[p + c];
    }
  }
  return makeImage(ow, oh, ch, out);
}
