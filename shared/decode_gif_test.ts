import assert from "node:assert/strict";
import { Golden, SKIMAGE_DATA } from "../scripts/golden_preprocess.ts";
import { decodeImage } from "./decode.ts";
import { setGifWasm } from "./decode_gif.ts";
import { ImageError } from "./image_error.ts";

/** Offset of the first image descriptor (0x2C) of a GIF, walking past the extensions. */
function firstDescriptor(gif: Uint8Array): number {
  let at = 13;
  if (gif[10] & 0x80) at += 3 << ((gif[10] & 7) + 1); // global colour table
  while (gif[at] === 0x21) {
    at += 2;
    while (gif[at] !== 0) at += gif[at] + 1;
    at++;
  }
  assert.equal(gif[at], 0x2c, "image descriptor");
  return at;
}

/** `gif` with its logical screen resized and its first frame moved. */
function placed(gif: Uint8Array, screen: [number, number], at: [number, number]): Uint8Array {
  const out = gif.slice();
  const dv = new DataView(out.buffer);
  dv.setUint16(6, screen[0], true);
  dv.setUint16(8, screen[1], true);
  const d = firstDescriptor(out);
  dv.setUint16(d + 1, at[0], true);
  dv.setUint16(d + 3, at[1], true);
  return out;
}

/** A 3x3 GIF of a real photo written by Pillow, and Pillow's RGB pixels of it ([3, 3, 3]). */
async function smallGif(): Promise<{ gif: Uint8Array; rgb: Uint8Array }> {
  const golden = await Golden.create();
  try {
    const path = golden.path("small.gif");
    await golden.run([{
      op: "make",
      input: `${SKIMAGE_DATA}/chelsea.png`,
      crop: [150, 60, 153, 63],
      format: "GIF",
      out: path,
    }]);
    await golden.run([{ op: "decode", input: path, out: `${path}.rgb` }]);
    return { gif: await Deno.readFile(path), rgb: await Deno.readFile(`${path}.rgb`) };
  } finally {
    await golden.close();
  }
}

Deno.test("decodeImage places a GIF's first frame on its screen, clipped, over the background", async () => {
  const { gif, rgb } = await smallGif();
  const cases: { name: string; screen: [number, number]; at: [number, number] }[] = [
    { name: "frame inside a larger screen", screen: [5, 4], at: [1, 1] },
    { name: "frame reaching past the right and bottom edges", screen: [4, 4], at: [2, 2] },
    { name: "frame reaching past the right edge only", screen: [4, 3], at: [3, 0] },
  ];
  const background: [number, number, number] = [0, 0, 255];
  for (const c of cases) {
    const [w, h] = c.screen;
    const [fx, fy] = c.at;
    const want = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const inFrame = x >= fx && x < fx + 3 && y >= fy && y < fy + 3;
        const px = inFrame ? rgb.subarray(((y - fy) * 3 + x - fx) * 3) : background;
        want.set([px[0], px[1], px[2]], (y * w + x) * 3);
      }
    }
    const img = await decodeImage(placed(gif, c.screen, c.at), { background });
    assert.deepEqual([img.width, img.height], c.screen, c.name);
    assert.deepEqual(img.data, want, c.name);
  }
});

Deno.test("setGifWasm takes the wasm as bytes; a bad one is a plain Error", async () => {
  const { gif, rgb } = await smallGif();
  const wasm = await Deno.readFile(new URL(import.meta.resolve("imagescript/wasm/any/gif.wasm")));
  try {
    setGifWasm(wasm);
    assert.deepEqual((await decodeImage(gif)).data, rgb);
    setGifWasm(new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]));
    // a deployment fault, not a bad image: callers must not answer it with a 4xx
    await assert.rejects(
      decodeImage(gif),
      (e: unknown) => e instanceof Error && !(e instanceof ImageError),
    );
  } finally {
    setGifWasm(null);
  }
  assert.deepEqual((await decodeImage(gif)).data, rgb);
});
