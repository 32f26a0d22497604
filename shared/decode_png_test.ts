import assert from "node:assert/strict";
import { Golden, maxAbsDiff, SKIMAGE_DATA } from "../scripts/golden_preprocess.ts";
import { decodeImage } from "./decode.ts";
import { setPngWasm } from "./decode_png.ts";
import { ImageError } from "./image_error.ts";

const CHELSEA = `${SKIMAGE_DATA}/chelsea.png`;
// A window of a real photo with an odd width, so packed rows end mid-byte.
const CROP = [150, 60, 211, 105];

/** PNG variants beyond shared/decode_test.ts's: packed pixels and colour-key transparency. */
const CASES: { name: string; make: Record<string, unknown>; background?: number[] }[] = [
  { name: "1-bit gray", make: { mode: "1" } },
  { name: "1-bit palette", make: { mode: "P", params: { bits: 1 } } },
  { name: "2-bit palette", make: { mode: "P", params: { bits: 2 } } },
  { name: "4-bit palette", make: { mode: "P", params: { bits: 4 } } },
  {
    name: "gray with a tRNS colour key",
    make: { mode: "L", params: { transparency: 120 } },
    background: [0, 0, 255],
  },
  {
    name: "4-bit palette with a transparent index",
    make: { mode: "P", params: { bits: 4, transparency: 3 } },
    background: [0, 255, 0],
  },
];

/** Pillow writes each case; returns the files and Pillow's RGB pixels of them. */
async function makeCases(golden: Golden) {
  const paths = CASES.map((_, i) => golden.path(`case${i}.png`));
  await golden.run(CASES.map((c, i) => ({
    op: "make",
    input: CHELSEA,
    crop: CROP,
    format: "PNG",
    ...c.make,
    out: paths[i],
  })));
  const decoded = await golden.run(CASES.map((c, i) => ({
    op: "decode",
    input: paths[i],
    background: c.background ?? [255, 255, 255],
    out: `${paths[i]}.rgb`,
  })));
  return CASES.map((c, i) => ({ c, path: paths[i], pillow: decoded[i], rgb: `${paths[i]}.rgb` }));
}

Deno.test("decodeImage matches Pillow on packed and colour-keyed PNGs", async () => {
  const golden = await Golden.create();
  try {
    const failures: string[] = [];
    for (const f of await makeCases(golden)) {
      assert.equal(f.pillow.error, undefined, f.c.name);
      const background = f.c.background as [number, number, number] | undefined;
      const img = await decodeImage(await Deno.readFile(f.path), { background });
      const want = await Deno.readFile(f.rgb);
      const d = maxAbsDiff(img.data, want);
      if (d !== 0) failures.push(`${f.c.name}: max diff ${d}`);
      if (background) {
        // the key must hit some pixels, or the case tests nothing
        let hits = 0;
        for (let i = 0; i < want.length; i += 3) {
          if (want[i] === background[0] && want[i + 1] === background[1]) hits++;
        }
        assert.ok(hits > 0, `${f.c.name}: no transparent pixel`);
      }
    }
    assert.deepEqual(failures, []);
  } finally {
    await golden.close();
  }
});

Deno.test("setPngWasm takes the wasm as bytes; a bad one is a plain Error", async () => {
  const golden = await Golden.create();
  try {
    const [f] = await makeCases(golden);
    const png = await Deno.readFile(f.path);
    const want = await Deno.readFile(f.rgb);
    const wasm = await Deno.readFile(
      new URL(import.meta.resolve("imagescript/wasm/any/png.wasm")),
    );
    try {
      setPngWasm(wasm);
      assert.equal(maxAbsDiff((await decodeImage(png)).data, want), 0);
      setPngWasm(new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]));
      // a deployment fault, not a bad image: callers must not answer it with a 4xx
      await assert.rejects(
        decodeImage(png),
        (e: unknown) => e instanceof Error && !(e instanceof ImageError),
      );
    } finally {
      setPngWasm(null);
    }
    assert.equal(maxAbsDiff((await decodeImage(png)).data, want), 0);
  } finally {
    await golden.close();
  }
});
