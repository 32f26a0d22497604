import assert from "node:assert/strict";
import { Golden, type GoldenJob, maxAbsDiff, SKIMAGE_DATA } from "../scripts/golden_preprocess.ts";
import { decodeImage } from "./decode.ts";
import { decodeJpeg, jpegStructure, MAX_JPEG_SCANS, setJpegWasm } from "./decode_jpeg.ts";
import { ImageError } from "./image_error.ts";
import { Rng } from "./rng.ts";

const CHELSEA = `${SKIMAGE_DATA}/chelsea.png`; // 451x300 photo
const COFFEE = `${SKIMAGE_DATA}/coffee.png`; // 600x400 photo

/** Pillow's `subsampling` values. */
const SS = { "4:4:4": 0, "4:2:2": 1, "4:2:0": 2 } as const;

interface Case {
  name: string;
  /** A golden_preprocess.py `make` job, minus op/out; `input` defaults to CHELSEA. */
  make: Record<string, unknown>;
}

const CASES: Case[] = [
  ...[75, 90, 95].flatMap((quality) =>
    Object.entries(SS).map(([ss, subsampling]) => ({
      name: `641x427 q${quality} ${ss}`,
      make: { input: COFFEE, size: [641, 427], params: { quality, subsampling } },
    }))
  ),
  { name: "q100 4:2:0", make: { params: { quality: 100 } } },
  { name: "optimized Huffman tables", make: { params: { quality: 85, optimize: true } } },
  { name: "progressive 4:2:0", make: { params: { quality: 85, progressive: true } } },
  {
    name: "progressive 4:4:4",
    make: { params: { quality: 80, progressive: true, subsampling: 0 } },
  },
  { name: "grayscale", make: { mode: "L", params: { quality: 90 } } },
  { name: "grayscale progressive", make: { mode: "L", params: { progressive: true } } },
  { name: "CMYK q90", make: { mode: "CMYK", params: { quality: 90 } } },
  { name: "CMYK q75 progressive", make: { mode: "CMYK", params: { progressive: true } } },
  { name: "1x1", make: { size: [1, 1], params: { quality: 90 } } },
  { name: "1x1 grayscale", make: { size: [1, 1], mode: "L" } },
  ...Object.entries(SS).map(([ss, subsampling]) => ({
    name: `17x9 ${ss}`,
    make: { size: [17, 9], params: { quality: 90, subsampling } },
  })),
  { name: "9x17 4:2:0 progressive", make: { size: [9, 17], params: { progressive: true } } },
  { name: "33x1 4:2:0", make: { size: [33, 1] } },
];

/** Pillow writes every case and decodes it to RGB; returns paths of both. */
async function makeCases(golden: Golden, cases: Case[]) {
  const files = cases.map((_, i) => golden.path(`case${i}.jpg`));
  await golden.run(cases.map((c, i) => ({
    op: "make",
    input: CHELSEA,
    format: "JPEG",
    ...c.make,
    out: files[i],
  })));
  const decoded = await pillowDecode(golden, files);
  return cases.map((c, i) => ({ c, path: files[i], pillow: decoded[i] }));
}

interface PillowDecode {
  /** Pillow's error message, when it refuses the file. */
  error?: string;
  width?: number;
  height?: number;
  /** Path of Pillow's RGB pixels. */
  rgb: string;
}

/** `ImageOps.exif_transpose(Image.open(f)).convert("RGB")` of each file, by Pillow. */
async function pillowDecode(golden: Golden, files: string[]): Promise<PillowDecode[]> {
  const jobs: GoldenJob[] = files.map((f) => ({ op: "decode", input: f, out: `${f}.rgb` }));
  const res = await golden.run(jobs);
  return res.map((r, i) => ({ ...r, rgb: `${files[i]}.rgb` }) as PillowDecode);
}

function exactFraction(a: Uint8Array, b: Uint8Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

async function verdict(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "decoded";
  } catch (e) {
    return e instanceof ImageError ? e.code : `not an ImageError: ${e}`;
  }
}

Deno.test("decodeJpeg matches Pillow within 1 level on files Pillow writes", async () => {
  const golden = await Golden.create();
  try {
    const failures: string[] = [];
    let exact = 0;
    let total = 0;
    for (const { c, path, pillow } of await makeCases(golden, CASES)) {
      assert.equal(pillow.error, undefined, c.name);
      const img = await decodeJpeg(await Deno.readFile(path));
      assert.equal(img.channels, 3, c.name);
      assert.deepEqual([img.width, img.height], [pillow.width, pillow.height], c.name);
      const want = await Deno.readFile(pillow.rgb);
      const d = maxAbsDiff(img.data, want);
      if (d > 1) failures.push(`${c.name}: max diff ${d}`);
      exact += exactFraction(img.data, want) * want.length;
      total += want.length;
    }
    assert.deepEqual(failures, []);
    console.log(`  ${CASES.length} files, ${(100 * exact / total).toFixed(3)}% of values exact`);
  } finally {
    await golden.close();
  }
});

Deno.test("decodeImage applies EXIF orientation like ImageOps.exif_transpose", async () => {
  const golden = await Golden.create();
  try {
    const cases = [1, 2, 3, 4, 5, 6, 7, 8].map((o) => ({
      name: `orientation ${o}`,
      // 64x40: not square, so a missed transpose shows as a size mismatch
      make: { orientation: o, crop: [150, 60, 214, 100], params: { quality: 95 } },
    }));
    for (const { c, path, pillow } of await makeCases(golden, cases)) {
      const img = await decodeImage(await Deno.readFile(path));
      assert.deepEqual([img.width, img.height], [pillow.width, pillow.height], c.name);
      assert.ok(maxAbsDiff(img.data, await Deno.readFile(pillow.rgb)) <= 1, c.name);
    }
  } finally {
    await golden.close();
  }
});

/** Byte offset of the first marker `m` (0xFF m) at or after `from`. */
function markerAt(b: Uint8Array, m: number, from = 2): number {
  for (let i = from; i + 1 < b.length; i++) if (b[i] === 0xff && b[i + 1] === m) return i;
  throw new Error(`no marker ${m.toString(16)}`);
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("decodeJpeg gives Pillow's verdict on truncated and damaged files", async () => {
  const golden = await Golden.create();
  try {
    const base = await makeCases(golden, [
      { name: "baseline", make: { params: { quality: 90 } } },
      { name: "progressive", make: { params: { progressive: true } } },
      { name: "grayscale", make: { mode: "L" } },
      { name: "CMYK", make: { mode: "CMYK" } },
    ]);
    const rng = new Rng(2024);
    const variants: { name: string; bytes: Uint8Array; samePixels: boolean }[] = [];
    for (const { c, path } of base) {
      const b = await Deno.readFile(path);
      const sos = markerAt(b, 0xda);
      const add = (what: string, bytes: Uint8Array, samePixels = false) =>
        variants.push({ name: `${c.name} ${what}`, bytes, samePixels });
      for (const cut of [b.length - 1, b.length - 2, b.length - 100, sos + 20, sos, 200, 40]) {
        add(`cut at ${cut}`, b.slice(0, cut));
      }
      // libjpeg skips these with a warning, and so do both decoders
      add("with bytes after EOI", concat(b, new TextEncoder().encode("trailing data")), true);
      add(
        "with stray bytes before EOI",
        concat(b.subarray(0, -2), [1, 2, 3], b.subarray(-2)),
        true,
      );
      // Damaged entropy data and tables: libjpeg "recovers" these, and the recovered pixels
      // differ between libjpeg-turbo versions (2.0 here, 2.1 in Pillow), so only the verdict
      // is compared. Never writes 0xFF, which would make a marker.
      for (let k = 0; k < 6; k++) {
        const x = b.slice();
        const [lo, hi] = k < 3 ? [2, sos] : [sos + 14, b.length - 3];
        for (let j = 0; j < 3; j++) x[rng.int(lo, hi)] = rng.int(0, 254);
        add(`damaged ${k < 3 ? "header" : "data"} #${k}`, x);
      }
    }
    const files = await Promise.all(variants.map(async (v, i) => {
      const f = golden.path(`variant${i}.jpg`);
      await Deno.writeFile(f, v.bytes);
      return f;
    }));
    const pillow = await pillowDecode(golden, files);
    const mismatches: string[] = [];
    for (const [i, v] of variants.entries()) {
      const ours = await verdict(decodeJpeg(v.bytes));
      // Pillow raises OSError("image file is truncated") or an open/parse error; the code we
      // give depends on what the damage hit (a cut is always corrupt_image)
      const refused = ours === "corrupt_image" || ours === "unsupported_format";
      const cut = v.name.includes(" cut at ");
      if (
        !(ours === "decoded" || refused) || refused !== Boolean(pillow[i].error) ||
        (cut && ours !== "corrupt_image")
      ) {
        mismatches.push(`${v.name}: ${ours}, Pillow ${pillow[i].error ?? "ok"}`);
      }
      if (v.samePixels && ours === "decoded") {
        const img = await decodeJpeg(v.bytes);
        const d = maxAbsDiff(img.data, await Deno.readFile(pillow[i].rgb));
        if (d > 1) mismatches.push(`${v.name}: max diff ${d}`);
      }
    }
    assert.deepEqual(mismatches, []);
    // after all those failures inside the wasm, a good file still decodes exactly
    const good = await decodeJpeg(await Deno.readFile(base[0].path));
    assert.equal(maxAbsDiff(good.data, await Deno.readFile(base[0].pillow.rgb)), 0);
  } finally {
    await golden.close();
  }
});

Deno.test("decodeJpeg recovers from libjpeg's fatal errors", async () => {
  const golden = await Golden.create();
  try {
    const [{ path, pillow }] = await makeCases(golden, [{ name: "q90", make: {} }]);
    const b = await Deno.readFile(path);
    // SOF0's first component names quantization table 3, which the file does not define
    const bad = b.slice();
    bad[markerAt(b, 0xc0) + 12] = 3;
    const badPath = golden.path("bad.jpg");
    await Deno.writeFile(badPath, bad);
    const [theirs] = await pillowDecode(golden, [badPath]);
    assert.ok(theirs.error, "Pillow refuses it too");
    for (let i = 0; i < 3; i++) {
      assert.equal(await verdict(decodeJpeg(bad)), "corrupt_image");
      const img = await decodeJpeg(b);
      assert.equal(maxAbsDiff(img.data, await Deno.readFile(pillow.rgb)), 0);
    }
  } finally {
    await golden.close();
  }
});

Deno.test("decodeJpeg refuses coding processes it lacks as unsupported_format", async () => {
  const golden = await Golden.create();
  try {
    const [{ path }] = await makeCases(golden, [{ name: "17x9", make: { size: [17, 9] } }]);
    const b = await Deno.readFile(path);
    const sof = markerAt(b, 0xc0);
    const patched = (at: number, v: number) => {
      const x = b.slice();
      x[at] = v;
      return x;
    };
    const table: [string, Uint8Array, string][] = [
      ["SOF1 (extended Huffman) is decoded", patched(sof + 1, 0xc1), "decoded"],
      ["SOF3 (lossless)", patched(sof + 1, 0xc3), "unsupported_format"],
      ["SOF5 (hierarchical)", patched(sof + 1, 0xc5), "unsupported_format"],
      ["SOF9 (arithmetic)", patched(sof + 1, 0xc9), "unsupported_format"],
      ["SOF10 (progressive arithmetic)", patched(sof + 1, 0xca), "unsupported_format"],
      ["12-bit samples", patched(sof + 4, 12), "unsupported_format"],
      ["2 components", patched(sof + 9, 2), "unsupported_format"],
      ["no frame header", concat([0xff, 0xd8], b.subarray(markerAt(b, 0xda))), "corrupt_image"],
    ];
    for (const [name, bytes, want] of table) {
      assert.equal(await verdict(decodeJpeg(bytes)), want, name);
    }
  } finally {
    await golden.close();
  }
});

Deno.test("jpegStructure finds the EOI, the scans and the frame header", async () => {
  const golden = await Golden.create();
  try {
    const made = await makeCases(golden, [
      { name: "baseline", make: { size: [17, 9] } },
      { name: "progressive colour", make: { size: [17, 9], params: { progressive: true } } },
      {
        name: "progressive gray",
        make: { size: [17, 9], mode: "L", params: { progressive: true } },
      },
    ]);
    const [base, prog, progGray] = await Promise.all(made.map((m) => Deno.readFile(m.path)));
    // An APP1 segment whose payload holds FF D9 (as an EXIF thumbnail does): not the end.
    const app1 = concat([0xff, 0xe1, 0, 8], [0xff, 0xd9, 0xff, 0xd9]);
    const withApp1 = concat(base.subarray(0, 2), app1, base.subarray(2));
    const table: [string, Uint8Array, Partial<ReturnType<typeof jpegStructure>>][] = [
      [
        "baseline",
        base,
        { complete: true, scans: 1, sof: 0xc0, precision: 8, components: 3, width: 17, height: 9 },
      ],
      // libjpeg's default progression: 10 scans for YCbCr, 6 for grayscale
      ["progressive colour", prog, { complete: true, scans: 10, sof: 0xc2, components: 3 }],
      ["progressive gray", progGray, { complete: true, scans: 6, sof: 0xc2, components: 1 }],
      ["without EOI", base.subarray(0, -2), { complete: false, scans: 1 }],
      ["FF D9 inside APP1", withApp1, { complete: true, scans: 1 }],
      ["cut after FF D9 inside APP1", withApp1.subarray(0, 10), { complete: false, scans: 0 }],
      ["SOI only", new Uint8Array([0xff, 0xd8]), { complete: false, scans: 0, sof: 0 }],
    ];
    for (const [name, bytes, want] of table) {
      const got = jpegStructure(bytes);
      for (const [k, v] of Object.entries(want)) {
        assert.equal(got[k as keyof typeof got], v, `${name}: ${k}`);
      }
    }
  } finally {
    await golden.close();
  }
});

Deno.test("decodeJpeg refuses more than MAX_JPEG_SCANS scans before decoding", async () => {
  // A 4000x4000 progressive frame followed by many empty scans: each would be a full pass.
  const sof2 = [0xff, 0xc2, 0, 11, 8, 0x0f, 0xa0, 0x0f, 0xa0, 1, 1, 0x11, 0];
  const sos = [0xff, 0xda, 0, 8, 1, 1, 0, 0, 0, 0];
  const bomb = (scans: number) =>
    concat([0xff, 0xd8], sof2, ...new Array(scans).fill(sos), [0xff, 0xd9]);
  assert.equal(jpegStructure(bomb(MAX_JPEG_SCANS + 1)).scans, MAX_JPEG_SCANS + 1);
  await assert.rejects(decodeJpeg(bomb(MAX_JPEG_SCANS + 1)), (e: unknown) => {
    return e instanceof ImageError && e.code === "corrupt_image" && /scans/.test(e.message);
  });
});

Deno.test("setJpegWasm takes the wasm as bytes; a bad one is a plain Error", async () => {
  const golden = await Golden.create();
  try {
    const [{ path, pillow }] = await makeCases(golden, [{ name: "q90", make: {} }]);
    const bytes = await Deno.readFile(path);
    const wasm = await Deno.readFile(
      new URL(import.meta.resolve("@cwasm/jpeg-turbo/jpeg-turbo.wasm")),
    );
    try {
      setJpegWasm(wasm);
      const img = await decodeJpeg(bytes);
      assert.equal(maxAbsDiff(img.data, await Deno.readFile(pillow.rgb)), 0);
      setJpegWasm(new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]));
      // a deployment fault, not a bad image: callers must not answer it with a 4xx
      for (const p of [decodeJpeg(bytes), decodeImage(bytes)]) {
        await assert.rejects(p, (e: unknown) => e instanceof Error && !(e instanceof ImageError));
      }
    } finally {
      setJpegWasm(null);
    }
    const img = await decodeJpeg(bytes);
    assert.equal(maxAbsDiff(img.data, await Deno.readFile(pillow.rgb)), 0);
  } finally {
    await golden.close();
  }
});
