import assert from "node:assert/strict";
import { applyOrientation, jpegOrientation } from "./exif_orientation.ts";
import { makeImage } from "./image.ts";

// A 3x2 gray image with pixel values
//   1 2 3
//   4 5 6
const img = makeImage(3, 2, 1, new Uint8Array([1, 2, 3, 4, 5, 6]));

// Pillow's exif_transpose methods for each orientation, worked out by hand.
const CASES: [number, string, number, number, number[]][] = [
  [1, "as stored", 3, 2, [1, 2, 3, 4, 5, 6]],
  [2, "FLIP_LEFT_RIGHT", 3, 2, [3, 2, 1, 6, 5, 4]],
  [3, "ROTATE_180", 3, 2, [6, 5, 4, 3, 2, 1]],
  [4, "FLIP_TOP_BOTTOM", 3, 2, [4, 5, 6, 1, 2, 3]],
  [5, "TRANSPOSE", 2, 3, [1, 4, 2, 5, 3, 6]],
  [6, "ROTATE_270 (90 clockwise)", 2, 3, [4, 1, 5, 2, 6, 3]],
  [7, "TRANSVERSE", 2, 3, [6, 3, 5, 2, 4, 1]],
  [8, "ROTATE_90 (90 counter-clockwise)", 2, 3, [3, 6, 2, 5, 1, 4]],
  [9, "unknown value: unchanged", 3, 2, [1, 2, 3, 4, 5, 6]],
];

Deno.test("applyOrientation turns images upright like Pillow's exif_transpose", () => {
  for (const [o, name, w, h, data] of CASES) {
    const out = applyOrientation(img, o);
    assert.deepEqual([out.width, out.height, [...out.data]], [w, h, data], `${o} ${name}`);
  }
});

/** SOI + APP1 Exif segment holding IFD0 with one Orientation entry (+ optional junk) + EOI. */
function jpegWithExif(orientation: number, le: boolean, type = 3): Uint8Array {
  const tiff = new Uint8Array(26);
  const dv = new DataView(tiff.buffer);
  tiff.set(le ? [0x49, 0x49] : [0x4d, 0x4d]);
  dv.setUint16(2, 42, le);
  dv.setUint32(4, 8, le);
  dv.setUint16(8, 1, le);
  dv.setUint16(10, 0x0112, le);
  dv.setUint16(12, type, le);
  dv.setUint32(14, 1, le);
  dv.setUint16(18, orientation, le);
  const seg = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const len = seg.length + 2;
  return new Uint8Array([0xff, 0xd8, 0xff, 0xe1, len >> 8, len & 255, ...seg, 0xff, 0xd9]);
}

Deno.test("jpegOrientation reads tag 0x0112 and falls back to 1", () => {
  const cases: [string, Uint8Array, number][] = [
    ["little-endian 6", jpegWithExif(6, true), 6],
    ["big-endian 8", jpegWithExif(8, false), 8],
    ["out of range value", jpegWithExif(12, true), 1],
    ["wrong field type", jpegWithExif(6, true, 4), 1],
    ["truncated EXIF", jpegWithExif(6, true).subarray(0, 20), 1],
    ["no EXIF", new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), 1],
    ["not a JPEG", new Uint8Array([1, 2, 3, 4, 5]), 1],
  ];
  for (const [name, bytes, want] of cases) assert.equal(jpegOrientation(bytes), want, name);
});
