/**
 * TIFF LZW (compression 5) with hard bounds, replacing utif2's decoder: utif2 accepts a code
 * above the next free table slot and then follows a cyclic prefix chain forever, so one corrupt
 * 2 KB strip froze the whole process.
 * @module
 */
import { ImageError } from "./image_error.ts";

const CLEAR = 256;
const EOI = 257;
const FIRST_FREE = 258;
const TABLE_SIZE = 4096;

/**
 * Decodes one TIFF LZW strip or tile (MSB-first codes of 9 to 12 bits, "early change": the code
 * width grows one code before the table fills, as libtiff writes) into `out`, stopping when
 * `out` is full, at the EOI code, or at the end of `src`. Returns the number of bytes written.
 *
 * Time is linear in `src.length + out.length`: every string is walked once through prefixes
 * that always point to a smaller code, so no chain can loop. Throws `ImageError`
 * `corrupt_image` for a code above the next free slot, or a string code right after a clear.
 */
export function decodeTiffLzw(src: Uint8Array, out: Uint8Array): number {
  const prefix = new Uint16Array(TABLE_SIZE);
  const suffix = new Uint8Array(TABLE_SIZE);
  const first = new Uint8Array(TABLE_SIZE);
  const length = new Uint16Array(TABLE_SIZE);
  for (let c = 0; c < 256; c++) {
    suffix[c] = c;
    first[c] = c;
    length[c] = 1;
  }
  const totalBits = src.length * 8;
  let bitPos = 0;
  let width = 9;
  let next = FIRST_FREE;
  let prev = -1;
  let written = 0;

  /** Writes the string of `code` at `written`, cut at the end of `out`. */
  const emit = (code: number) => {
    const n = length[code];
    let at = written + n - 1;
    for (let c = code; at >= written; c = prefix[c], at--) {
      if (at < out.length) out[at] = suffix[c];
      if (length[c] === 1) break;
    }
    written = Math.min(written + n, out.length);
  };

  while (written < out.length && bitPos + width <= totalBits) {
    // Up to 12 bits starting anywhere in a byte span at most 3 bytes.
    const byte = bitPos >>> 3;
    const window = (src[byte] << 16) | ((src[byte + 1] ?? 0) << 8) | (src[byte + 2] ?? 0);
    const code = (window >>> (24 - (bitPos & 7) - width)) & ((1 << width) - 1);
    bitPos += width;
    if (code === CLEAR) {
      width = 9;
      next = FIRST_FREE;
      prev = -1;
      continue;
    }
    if (code === EOI) break;
    if (prev < 0) {
      if (code > 255) {
        throw new ImageError("corrupt_image", `tiff: LZW code ${code} right after a clear code`);
      }
      emit(code);
      prev = code;
      continue;
    }
    if (code > next || (code === next && next >= TABLE_SIZE)) {
      throw new ImageError(
        "corrupt_image",
        `tiff: LZW code ${code} is above the next free code ${next}`,
      );
    }
    if (next < TABLE_SIZE) {
      // The new entry is prev's string plus the first byte of code's string (of prev's own
      // string when code is the entry being defined: the KwKwK case).
      prefix[next] = prev;
      suffix[next] = code === next ? first[prev] : first[code];
      first[next] = first[prev];
      length[next] = length[prev] + 1;
      next++;
      if (next === (1 << width) - 1 && width < 12) width++;
    }
    emit(code);
    prev = code;
  }
  return written;
}
