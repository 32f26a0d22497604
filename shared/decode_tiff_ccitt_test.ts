import assert from "node:assert/strict";
import { decodeImage } from "./decode.ts";
import { decodeCcitt } from "./decode_tiff_ccitt.ts";
import { Rng } from "./rng.ts";

// Bilevel images in every CCITT flavour libtiff writes for Pillow, with Pillow's RGB decode:
// a thresholded photo (many short runs, 2D modes), a 2700-pixel-wide drawing (make-up codes up
// to 2560, shared by both colours) and noise (runs of 1-3 pixels).
const PILLOW = `
import json, random, sys
from PIL import Image, ImageDraw
d = sys.argv[1]
cat = Image.open("/usr/lib/python3/dist-packages/skimage/data/chelsea.png").convert("L")
photo = cat.point(lambda v: 255 if v > 110 else 0).convert("1")
wide = Image.new("1", (2700, 40), 1)
draw = ImageDraw.Draw(wide)
draw.rectangle((5, 5, 2650, 12), fill=0)
draw.rectangle((1000, 20, 2699, 30), fill=0)
draw.line((0, 39, 2699, 0), fill=0)
random.seed(3)
noise = Image.new("1", (77, 50))
noise.putdata([random.choice([0, 255]) for _ in range(77 * 50)])
flavours = {
    "g3_1d": dict(compression="group3"),
    "g3_2d": dict(compression="group3", tiffinfo={292: 1}),
    "g3_2d_fill": dict(compression="group3", tiffinfo={292: 5}),
    "g4": dict(compression="group4"),
    "g4_fillorder2": dict(compression="group4", tiffinfo={266: 2}),
    "rle": dict(compression="tiff_ccitt"),
}
names = []
for image_name, im in (("photo", photo), ("wide", wide), ("noise", noise)):
    for flavour, kw in flavours.items():
        name = f"{image_name}_{flavour}"
        im.save(f"{d}/{name}.tif", **kw)
        open(f"{d}/{name}.rgb", "wb").write(Image.open(f"{d}/{name}.tif").convert("RGB").tobytes())
        names.append(name)
print(json.dumps(names))
`;

Deno.test("decodeImage decodes CCITT RLE, Group 3 (1D, 2D, byte-aligned EOLs) and Group 4 TIFFs exactly as Pillow", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccitt_test_" });
  try {
    const res = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", PILLOW, dir],
      stderr: "piped",
    }).output();
    assert.ok(res.success, new TextDecoder().decode(res.stderr));
    const names = JSON.parse(new TextDecoder().decode(res.stdout)) as string[];
    assert.equal(names.length, 18);
    for (const name of names) {
      const img = await decodeImage(await Deno.readFile(`${dir}/${name}.tif`));
      const want = await Deno.readFile(`${dir}/${name}.rgb`);
      assert.equal(img.data.length, want.length, name);
      const first = img.data.findIndex((v, i) => v !== want[i]);
      assert.equal(first, -1, `${name}: first difference at byte ${first}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decodeCcitt returns the whole rows it could decode, in time linear in its input, on hostile strips", () => {
  const rng = new Rng(11);
  const random = Uint8Array.from({ length: 1 << 20 }, () => rng.int(0, 255));
  // Horizontal mode with runs of 0 and 0, over and over: the row never advances.
  const zeroRuns = "001" + "00110101" + "0000110111";
  const bits = zeroRuns.repeat(4000);
  const stuck = Uint8Array.from(
    { length: Math.ceil(bits.length / 8) },
    (_, i) => parseInt(bits.slice(i * 8, i * 8 + 8).padEnd(8, "0"), 2),
  );
  const width = 1728;
  const rows = 64;
  // [name, strip, compression] and the most rows each may yield
  const table: [string, Uint8Array, 2 | 3 | 4][] = [
    ["1 MiB of zero bits (an EOL that never ends)", new Uint8Array(1 << 20), 3],
    ["1 MiB of random bytes, Group 3 2D", random, 3],
    ["1 MiB of random bytes, Group 4", random, 4],
    ["1 MiB of random bytes, RLE", random, 2],
    ["horizontal runs of length 0, repeated", stuck, 4],
    ["nothing", new Uint8Array(0), 4],
  ];
  for (const [name, strip, compression] of table) {
    const out = new Uint8Array(Math.ceil(width / 8) * rows);
    const n = decodeCcitt(strip, out, width, rows, { compression, t4Options: 1 });
    assert.ok(Number.isInteger(n) && n >= 0 && n <= rows, `${name}: ${n} rows`);
    if (name.startsWith("horizontal") || name === "nothing") assert.equal(n, 0, name);
  }
});
