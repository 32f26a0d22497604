import assert from "node:assert/strict";
import { decodeTiffLzw } from "./decode_tiff_lzw.ts";
import { ImageError } from "./image_error.ts";

/** Packs [code, bits] pairs MSB-first, as TIFF LZW stores them (the spec's bit order). */
function pack(codes: [number, number][]): Uint8Array {
  const bits = codes.flatMap(([code, width]) =>
    Array.from({ length: width }, (_, i) => (code >> (width - 1 - i)) & 1)
  );
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => (out[i >> 3] |= b << (7 - (i & 7))));
  return out;
}
const nine = (...codes: number[]) => pack(codes.map((c) => [c, 9]));
const A = 65;
const B = 66;
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("decodeTiffLzw decodes hand-packed code streams the way the TIFF 6.0 spec defines them", () => {
  // [name, codes, output size, expected text]
  const table: [string, Uint8Array, number, string][] = [
    ["literals", nine(256, A, B, 257), 2, "AB"],
    ["a table entry (258 = AB)", nine(256, A, B, 258, 257), 4, "ABAB"],
    ["KwKwK: the code being defined (258 = AA)", nine(256, A, 258, 257), 3, "AAA"],
    ["a clear code resets the table", nine(256, A, B, 256, B, A, 258, 257), 6, "ABBABA"],
    ["no leading clear code", nine(A, B, 258, 257), 4, "ABAB"],
    ["stops at the end of the output", nine(256, A, 258, 259, 260, 257), 4, "AAAA"],
    ["stops at EOI, whatever follows", nine(256, A, 257, B, B), 1, "A"],
    ["stops at the end of the data without EOI", nine(256, A, B), 2, "AB"],
  ];
  for (const [name, src, size, want] of table) {
    const out = new Uint8Array(size + 2);
    const n = decodeTiffLzw(src, out.subarray(0, size));
    assert.equal(text(out.subarray(0, n)), want, name);
    assert.deepEqual([...out.subarray(size)], [0, 0], `${name}: nothing written past the end`);
  }
});

Deno.test("decodeTiffLzw refuses codes that point past the table (utif2 looped forever on them)", () => {
  const table: [string, Uint8Array][] = [
    ["a code above the next free one", nine(256, A, B, 300, 257)],
    ["a string code right after a clear", nine(256, 258, 257)],
    ["the window that froze the server", nine(256, A, 259, 260, 261, 257)],
  ];
  for (const [name, src] of table) {
    assert.throws(() => decodeTiffLzw(src, new Uint8Array(64)), (e: unknown) => {
      assert.ok(e instanceof ImageError, name);
      assert.equal(e.code, "corrupt_image", name);
      return true;
    });
  }
});

Deno.test("decodeTiffLzw switches to 10 bits one code early (code 511), as libtiff writes", () => {
  // 253 literal pairs define entries 258..510; after entry 510 the width is 10 bits.
  const codes: [number, number][] = [[256, 9]];
  let want = "";
  for (let i = 0; i < 254; i++) {
    const c = 32 + (i % 90);
    codes.push([c, 9]);
    want += String.fromCharCode(c);
  }
  codes.push([258, 10], [257, 10]); // 258 = the first two literals
  want += want.slice(0, 2);
  const out = new Uint8Array(want.length);
  assert.equal(decodeTiffLzw(pack(codes), out), want.length);
  assert.equal(text(out), want);
});

Deno.test("decodeTiffLzw equals libtiff's input on every strip of LZW TIFFs that Pillow writes", async () => {
  // A real photo (long strings, table resets at 4096 entries) and noise (short strings).
  const script = `
import json, random, sys
from PIL import Image
cat = Image.open("/usr/lib/python3/dist-packages/skimage/data/chelsea.png").convert("RGB")
random.seed(7)
noise = Image.frombytes("L", (97, 61), bytes(random.randrange(256) for _ in range(97 * 61)))
out = []
for name, im in (("photo", cat), ("noise", noise)):
    path = f"{sys.argv[1]}/{name}.tif"
    im.save(path, compression="tiff_lzw")
    t = Image.open(path)
    out.append({"name": name, "path": path, "offsets": list(t.tag_v2[273]),
                "counts": list(t.tag_v2[279]), "rows": t.tag_v2[278],
                "row_bytes": im.size[0] * len(im.getbands()), "raw": path + ".raw"})
    open(path + ".raw", "wb").write(im.tobytes())
print(json.dumps(out))
`;
  const dir = await Deno.makeTempDir({ prefix: "lzw_test_" });
  try {
    const res = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", script, dir],
      stderr: "piped",
    }).output();
    assert.ok(res.success, new TextDecoder().decode(res.stderr));
    const files = JSON.parse(new TextDecoder().decode(res.stdout)) as {
      name: string;
      path: string;
      offsets: number[];
      counts: number[];
      rows: number;
      row_bytes: number;
      raw: string;
    }[];
    for (const f of files) {
      const tiff = await Deno.readFile(f.path);
      const raw = await Deno.readFile(f.raw);
      const stripBytes = f.rows * f.row_bytes;
      assert.ok(f.offsets.length >= 1);
      for (const [i, at] of f.offsets.entries()) {
        const want = raw.subarray(i * stripBytes, Math.min(raw.length, (i + 1) * stripBytes));
        const got = new Uint8Array(want.length);
        const n = decodeTiffLzw(tiff.subarray(at, at + f.counts[i]), got);
        assert.equal(n, want.length, `${f.name} strip ${i}`);
        assert.deepEqual(got, want, `${f.name} strip ${i}`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
