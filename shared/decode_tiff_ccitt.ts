/**
 * CCITT bilevel TIFF strips (compression 2: Modified Huffman RLE, 3: T.4 Group 3 1D/2D,
 * 4: T.6 Group 4) with hard bounds, replacing utif2's decoders: those grow a bit string until
 * a code matches (quadratic in the strip size on garbage) and let a row grow past the image
 * width without limit. Here a code is at most 13 bits, a row never passes the width, and the
 * work is linear in the strip size plus the pixel count.
 * @module
 */

/** How one CCITT strip is coded (TIFF tags 259, 292 and 266). */
export interface CcittOptions {
  /** 2: Modified Huffman, rows byte-aligned, no EOL; 3: T.4 (Group 3); 4: T.6 (Group 4). */
  compression: 2 | 3 | 4;
  /** T4Options (tag 292), compression 3 only: bit 0 set = rows may be 2D-coded. */
  t4Options?: number;
  /** FillOrder (tag 266): 2 = bits are stored least significant first. */
  fillOrder?: number;
}

// The T.4 run-length code tables (ITU-T T.4 tables 2 and 3), as utif2 lists them: terminating
// codes for runs 0..63, make-up codes for 64..1728 per colour, and the shared 1792..2560 ones.
const TERM_WHITE = "00110101,000111,0111,1000,1011,1100,1110,1111,10011,10100,00111,01000," +
  "001000,000011,110100,110101,101010,101011,0100111,0001100,0001000,0010111,0000011,0000100," +
  "0101000,0101011,0010011,0100100,0011000,00000010,00000011,00011010,00011011,00010010," +
  "00010011,00010100,00010101,00010110,00010111,00101000,00101001,00101010,00101011,00101100," +
  "00101101,00000100,00000101,00001010,00001011,01010010,01010011,01010100,01010101,00100100," +
  "00100101,01011000,01011001,01011010,01011011,01001010,01001011,00110010,00110011,00110100";
const TERM_BLACK = "0000110111,010,11,10,011,0011,0010,00011,000101,000100,0000100,0000101," +
  "0000111,00000100,00000111,000011000,0000010111,0000011000,0000001000,00001100111," +
  "00001101000,00001101100,00000110111,00000101000,00000010111,00000011000,000011001010," +
  "000011001011,000011001100,000011001101,000001101000,000001101001,000001101010,000001101011," +
  "000011010010,000011010011,000011010100,000011010101,000011010110,000011010111,000001101100," +
  "000001101101,000011011010,000011011011,000001010100,000001010101,000001010110,000001010111," +
  "000001100100,000001100101,000001010010,000001010011,000000100100,000000110111,000000111000," +
  "000000100111,000000101000,000001011000,000001011001,000000101011,000000101100,000001011010," +
  "000001100110,000001100111";
const MAKEUP_WHITE = "11011,10010,010111,0110111,00110110,00110111,01100100,01100101,01101000," +
  "01100111,011001100,011001101,011010010,011010011,011010100,011010101,011010110,011010111," +
  "011011000,011011001,011011010,011011011,010011000,010011001,010011010,011000,010011011";
const MAKEUP_BLACK = "0000001111,000011001000,000011001001,000001011011,000000110011," +
  "000000110100,000000110101,0000001101100,0000001101101,0000001001010,0000001001011," +
  "0000001001100,0000001001101,0000001110010,0000001110011,0000001110100,0000001110101," +
  "0000001110110,0000001110111,0000001010010,0000001010011,0000001010100,0000001010101," +
  "0000001011010,0000001011011,0000001100100,0000001100101";
const MAKEUP_SHARED = "00000001000,00000001100,00000001101,000000010010,000000010011," +
  "000000010100,000000010101,000000010110,000000010111,000000011100,000000011101,000000011110," +
  "000000011111";

/** A code as a number with a leading 1 bit, so that "011" and "0011" differ. */
const key = (bits: string) => parseInt(`1${bits}`, 2);

function runTable(term: string, makeup: string): Map<number, number> {
  const table = new Map<number, number>();
  term.split(",").forEach((c, i) => table.set(key(c), i));
  makeup.split(",").forEach((c, i) => table.set(key(c), 64 + 64 * i));
  MAKEUP_SHARED.split(",").forEach((c, i) => table.set(key(c), 1792 + 64 * i));
  return table;
}

/** Run lengths by code, for white (0) and black (1) runs. */
const RUNS = [runTable(TERM_WHITE, MAKEUP_WHITE), runTable(TERM_BLACK, MAKEUP_BLACK)];
/** The longest run code, in bits. */
const MAX_RUN_BITS = 13;

/** 2D mode codes (T.4 table 4): pass, horizontal, or vertical (VERTICAL + a1 - b1). */
const PASS = 0;
const HORIZONTAL = 1;
const VERTICAL = 5;
const MODES = new Map<number, number>([
  [key("1"), VERTICAL],
  [key("011"), VERTICAL + 1],
  [key("010"), VERTICAL - 1],
  [key("000011"), VERTICAL + 2],
  [key("000010"), VERTICAL - 2],
  [key("0000011"), VERTICAL + 3],
  [key("0000010"), VERTICAL - 3],
  [key("001"), HORIZONTAL],
  [key("0001"), PASS],
]);
const MAX_MODE_BITS = 7;

/** Bits 7..0 of each byte reversed, for FillOrder 2. */
const REVERSED = Uint8Array.from({ length: 256 }, (_, b) => {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
  return r;
});

/**
 * Decodes one CCITT strip of `rows` rows of `width` pixels into `out` (zero-filled by the
 * caller), packed MSB-first with `ceil(width / 8)` bytes per row, white runs as 0 bits and black
 * runs as 1 bits (the TIFF photometric tag says which is displayed as black). Returns the number
 * of whole rows decoded: fewer than `rows` when the data ends or holds an invalid code.
 */
export function decodeCcitt(
  src: Uint8Array,
  out: Uint8Array,
  width: number,
  rows: number,
  opts: CcittOptions,
): number {
  const data = opts.fillOrder === 2 ? src.map((b) => REVERSED[b]) : src;
  const totalBits = data.length * 8;
  const rowBytes = Math.ceil(width / 8);
  let pos = 0;
  const bit0At = (at: number) => ((data[at >>> 3] >>> (7 - (at & 7))) & 1) === 0;
  const bit = () => {
    if (pos >= totalBits) return -1;
    const b = (data[pos >>> 3] >>> (7 - (pos & 7))) & 1;
    pos++;
    return b;
  };
  /** The value of the next code in `table` (at most `maxBits` long), or -1. */
  const readCode = (table: Map<number, number>, maxBits: number) => {
    let k = 1;
    for (let n = 0; n < maxBits; n++) {
      const b = bit();
      if (b < 0) return -1;
      k = (k << 1) | b;
      const v = table.get(k);
      if (v !== undefined) return v;
    }
    return -1;
  };
  /** One run of `color`: make-up codes then a terminating code; -1 if invalid or too long. */
  const readRun = (color: number) => {
    let total = 0;
    for (;;) {
      const v = readCode(RUNS[color], MAX_RUN_BITS);
      if (v < 0) return -1;
      total += v;
      if (total > width) return -1;
      if (v < 64) return total;
    }
  };
  /** Consumes an EOL (11 or more zero bits, then a 1) if one is next; true if it did. */
  const skipEol = () => {
    let zeros = 0;
    while (pos + zeros < totalBits && bit0At(pos + zeros) && zeros < 11) zeros++;
    if (zeros < 11) return false;
    pos += zeros;
    while (pos < totalBits && bit0At(pos)) pos++; // fill bits before the 1
    return bit() === 1;
  };

  // Changing elements (positions where the colour flips, the first to black) of the row above
  // and of this row, each followed by `width` twice as sentinels.
  let ref = new Int32Array(width + 4);
  let cur = new Int32Array(width + 4);
  let refN = 0;
  ref[0] = ref[1] = width;
  let curN = 0;
  let rowOff = 0;
  const push = (x: number) => {
    if (x < width) {
      if (curN >= width + 1) return false;
      cur[curN++] = x;
    }
    return true;
  };
  const paintBlack = (from: number, to: number) => {
    for (let x = from; x < to; x++) out[rowOff + (x >>> 3)] |= 0x80 >>> (x & 7);
  };
  const paint = (color: number, from: number, to: number) => {
    if (color === 1) paintBlack(from, to);
  };

  const decode1D = () => {
    let x = 0;
    for (let color = 0; x < width; color ^= 1) {
      const run = readRun(color);
      if (run < 0 || x + run > width) return false;
      paint(color, x, x + run);
      x += run;
      if (!push(x)) return false;
    }
    return true;
  };

  const decode2D = () => {
    let a0 = -1;
    let color = 0;
    let bi = 0;
    while (a0 < width) {
      // b1: the first change on the row above right of a0 to the colour opposite a0's (even
      // indices are changes to black); b2: the change after it.
      let i = Math.max(0, bi - 2);
      while (i < refN && (ref[i] <= a0 || (i & 1) !== color)) i++;
      bi = i;
      const b1 = i < refN ? ref[i] : width;
      const b2 = i + 1 < refN ? ref[i + 1] : width;
      const mode = readCode(MODES, MAX_MODE_BITS);
      if (mode < 0) return false; // invalid, an EOL, or the end of the data
      const start = Math.max(a0, 0);
      if (mode === PASS) {
        paint(color, start, b2);
        a0 = b2;
      } else if (mode === HORIZONTAL) {
        const r1 = readRun(color);
        const r2 = r1 < 0 ? -1 : readRun(color ^ 1);
        if (r2 < 0 || start + r1 + r2 > width) return false;
        paint(color, start, start + r1);
        paint(color ^ 1, start + r1, start + r1 + r2);
        if (!push(start + r1) || !push(start + r1 + r2)) return false;
        a0 = start + r1 + r2;
      } else {
        const a1 = b1 + mode - VERTICAL;
        if (a1 < start || a1 > width) return false;
        paint(color, start, a1);
        if (!push(a1)) return false;
        color ^= 1;
        a0 = a1;
      }
    }
    return true;
  };

  const twoD = opts.compression === 3 && ((opts.t4Options ?? 0) & 1) === 1;
  for (let row = 0; row < rows; row++) {
    curN = 0;
    rowOff = row * rowBytes;
    let is1D = opts.compression !== 4;
    if (opts.compression === 3) {
      skipEol();
      if (twoD) is1D = bit() === 1;
    }
    if (pos >= totalBits) return row;
    if (!(is1D ? decode1D() : decode2D())) return row;
    if (opts.compression === 2) pos = (pos + 7) & ~7; // each row starts on a byte
    [ref, cur] = [cur, ref];
    refN = curN;
    ref[refN] = ref[refN + 1] = width;
  }
  return rows;
}
