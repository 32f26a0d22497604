import assert from "node:assert/strict";
import { join } from "node:path";
import { hasImageExtension, IMG_EXTENSIONS, sniffImageFile } from "./image_file.ts";
import { runPython } from "./run_python.ts";

Deno.test("hasImageExtension agrees with torchvision's has_file_allowed_extension", async () => {
  const names = [
    "a.jpg",
    "b.JPEG",
    "c.png",
    "d.Png",
    "e.webp",
    "f.tif",
    "g.TIFF",
    "h.bmp",
    "i.ppm",
    "j.pgm",
    "k.gif",
    "l.txt",
    "m.jpg.txt",
    "n",
    ".png",
    "o.jpe",
    "p.heic",
  ];
  const ref = JSON.parse(
    await runPython(
      `import json, sys
from torchvision.datasets.folder import IMG_EXTENSIONS, has_file_allowed_extension
print(json.dumps({"exts": list(IMG_EXTENSIONS), "ok": [has_file_allowed_extension(n, IMG_EXTENSIONS) for n in json.loads(sys.argv[1])]}))`,
      [JSON.stringify(names)],
    ),
  );
  assert.deepEqual([...IMG_EXTENSIONS], ref.exts);
  assert.deepEqual(names.map(hasImageExtension), ref.ok);
});

Deno.test("sniffImageFile reads the format from the first bytes only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sniff_" });
  try {
    const cases: [string, number[], string | null][] = [
      ["png", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13], "png"],
      ["jpeg", [0xff, 0xd8, 0xff, 0xe0], "jpeg"],
      ["bmp", [0x42, 0x4d, 1, 2, 3], "bmp"],
      ["text", [...new TextEncoder().encode("hello, world")], null],
      ["empty", [], null],
    ];
    for (const [name, bytes, expected] of cases) {
      const path = join(dir, name);
      await Deno.writeFile(
        path,
        new Uint8Array([...bytes, ...new Uint8Array(100)]).subarray(
          0,
          bytes.length ? undefined : 0,
        ),
      );
      assert.equal(await sniffImageFile(path), expected, name);
    }
    await assert.rejects(sniffImageFile(join(dir, "missing")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
