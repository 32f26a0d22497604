import assert from "node:assert/strict";
import { ImageError } from "./image_error.ts";
import { type ImageFormat, probeImage } from "./probe_image.ts";

const le16 = (v: number) => [v & 255, v >> 8];
const be16 = (v: number) => [v >> 8, v & 255];
const le32 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];
const be32 = (v: number) => [v >>> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255];
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const bytes = (...parts: number[][]) => new Uint8Array(parts.flat());

// Hand-built headers, each with the size a reader of the spec finds in it.
const CASES: [string, Uint8Array, ImageFormat, number, number][] = [
  [
    "PNG IHDR",
    bytes([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10], be32(13), ascii("IHDR"), be32(640), be32(427)),
    "png",
    640,
    427,
  ],
  [
    "JPEG with APP0, fill bytes and a progressive SOF2",
    bytes(
      [0xff, 0xd8, 0xff, 0xe0],
      be16(4),
      [0, 0],
      [0xff, 0xff, 0xc2],
      be16(11),
      [8],
      be16(300),
      be16(451),
      [1],
      [1, 0x11, 0],
    ),
    "jpeg",
    451,
    300,
  ],
  ["GIF87a screen", bytes(ascii("GIF87a"), le16(320), le16(200)), "gif", 320, 200],
  [
    "TIFF little-endian, SHORT sizes",
    bytes(
      [0x49, 0x49, 42, 0],
      le32(8),
      le16(2),
      le16(256),
      le16(3),
      le32(1),
      le16(70),
      [0, 0],
      le16(257),
      le16(3),
      le32(1),
      le16(50),
      [0, 0],
    ),
    "tiff",
    70,
    50,
  ],
  [
    "TIFF big-endian, LONG sizes",
    bytes(
      [0x4d, 0x4d, 0, 42],
      be32(8),
      be16(2),
      be16(257),
      be16(4),
      be32(1),
      be32(90000),
      be16(256),
      be16(4),
      be32(1),
      be32(3),
    ),
    "tiff",
    3,
    90000,
  ],
  [
    "BMP bottom-up",
    bytes(ascii("BM"), le32(0), le32(0), le32(54), le32(40), le32(33), le32(21)),
    "bmp",
    33,
    21,
  ],
  [
    "BMP top-down (negative height)",
    bytes(ascii("BM"), le32(0), le32(0), le32(54), le32(40), le32(33), le32(-21)),
    "bmp",
    33,
    21,
  ],
  [
    "BMP OS/2 core header",
    bytes(ascii("BM"), le32(0), le32(0), le32(26), le32(12), le16(7), le16(9)),
    "bmp",
    7,
    9,
  ],
  [
    "WebP VP8X",
    bytes(ascii("RIFF"), le32(0), ascii("WEBPVP8X"), le32(10), [0, 0, 0, 0], [99, 0, 0], [
      49,
      1,
      0,
    ]),
    "webp",
    100,
    306,
  ],
  [
    "WebP VP8",
    bytes(
      ascii("RIFF"),
      le32(0),
      ascii("WEBPVP8 "),
      le32(10),
      [0, 0, 0],
      [0x9d, 1, 0x2a],
      le16(640),
      le16(480),
    ),
    "webp",
    640,
    480,
  ],
  [
    "WebP VP8L",
    bytes(
      ascii("RIFF"),
      le32(0),
      ascii("WEBPVP8L"),
      le32(5),
      [0x2f],
      le32(((20 - 1) << 14) | (30 - 1)),
    ),
    "webp",
    30,
    20,
  ],
];

Deno.test("probeImage reads sizes from hand-built headers", () => {
  for (const [name, b, format, width, height] of CASES) {
    assert.deepEqual(probeImage(b), { format, width, height }, name);
  }
});

Deno.test("probeImage refuses truncated headers as corrupt_image", () => {
  for (const [name, b] of CASES) {
    for (const cut of [b.length - 1, Math.max(b.length - 6, 6)]) {
      assert.throws(
        () => probeImage(b.subarray(0, cut)),
        (e) =>
          e instanceof ImageError &&
          (e.code === "corrupt_image" || e.code === "unsupported_format"),
        `${name} cut at ${cut}`,
      );
    }
  }
});

/** A one-entry-per-size TIFF IFD: [tag, type, count, value field] entries, little-endian. */
function tiffIfd(...entries: [number, number, number, number[]][]): Uint8Array {
  return bytes(
    [0x49, 0x49, 42, 0],
    le32(8),
    le16(entries.length),
    ...entries.map((
      [tag, type, count, field],
    ) => [...le16(tag), ...le16(type), ...le32(count), ...field]),
    le32(0),
    new Array(16).fill(0),
  );
}

Deno.test("probeImage refuses TIFF size tags it cannot read as one value", () => {
  // With a count other than 1 the value field is an offset: taking it for the size let a
  // 65536x65536 image past the pixel limit as "200x208".
  const table: [string, Uint8Array][] = [
    ["ImageWidth with 2 LONGs", tiffIfd([256, 4, 2, le32(200)], [257, 4, 1, le32(20)])],
    [
      "ImageLength with 2 SHORTs",
      tiffIfd([256, 3, 1, [...le16(20), 0, 0]], [257, 3, 2, le32(208)]),
    ],
    ["ImageWidth with 0 values", tiffIfd([256, 4, 0, le32(200)], [257, 4, 1, le32(20)])],
    ["ImageWidth as a RATIONAL", tiffIfd([256, 5, 1, le32(200)], [257, 4, 1, le32(20)])],
    ["ImageLength as a signed SSHORT", tiffIfd([256, 4, 1, le32(20)], [257, 8, 1, le32(20)])],
  ];
  for (const [name, b] of table) {
    assert.throws(
      () => probeImage(b),
      (e) => e instanceof ImageError && e.code === "corrupt_image",
      name,
    );
  }
  // SHORT sizes sit in the first two bytes of the field whatever follows them.
  const short = tiffIfd([256, 3, 1, [...le16(20), 0xff, 0xff]], [257, 3, 1, [...le16(30), 7, 7]]);
  assert.deepEqual(probeImage(short), { format: "tiff", width: 20, height: 30 });
});
