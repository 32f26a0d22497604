import assert from "node:assert/strict";
import { join } from "node:path";
import { ImageError } from "../../shared/image_error.ts";
import { loadImageFolder } from "./image_folder.ts";
import { runPython } from "./run_python.ts";

/**
 * Writes a class tree with Pillow: real PNG/JPEG/BMP files, a text file, a text file named
 * .jpg (bad magic) and a JPEG cut off after its scan header (good magic, corrupt data).
 */
const MAKE_TREE = `
import os, sys
import numpy as np
from PIL import Image
root = sys.argv[1]
rs = np.random.RandomState(0)
def img(path, fmt=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray((rs.rand(12, 10, 3) * 255).astype('uint8')).save(path, fmt)
for p in ['cat/b.png', 'cat/a.png', 'cat/sub/c.jpg', 'cat/sub dir/d.bmp', 'dog/x.PNG', 'dog/y.jpeg',
          'dog/z.png', 'Zebra/q.png', 'dog/w.png', 'cat/e.png']:
    img(os.path.join(root, p))
open(os.path.join(root, 'cat/notes.txt'), 'w').write('not an image')
open(os.path.join(root, 'dog/fake.jpg'), 'w').write('plain text pretending to be a jpeg')
good = open(os.path.join(root, 'cat/sub/c.jpg'), 'rb').read()
open(os.path.join(root, 'dog/broken.jpg'), 'wb').write(good[:good.find(b'\\xff\\xda') + 20])
`;

const TORCHVISION_SAMPLES = `
import json, sys
from torchvision.datasets import ImageFolder
ds = ImageFolder(sys.argv[1], loader=lambda p: p)
print(json.dumps({"classes": ds.classes, "samples": ds.samples}))
`;

Deno.test("loadImageFolder matches torchvision's classes and order, and skips non-images", async () => {
  const root = await Deno.makeTempDir({ prefix: "imagefolder_" });
  try {
    await runPython(MAKE_TREE, [root]);
    const ref = JSON.parse(await runPython(TORCHVISION_SAMPLES, [root]));
    const ds = await loadImageFolder(root, { seed: 0, valFraction: 0, onBadImage: "skip" });
    assert.deepEqual(ds.classes, ref.classes);
    assert.deepEqual(ds.classes, ["Zebra", "cat", "dog"]);
    // torchvision keeps fake.jpg (it only looks at the extension); we drop it by its bytes.
    const expected = (ref.samples as [string, number][]).filter(([p]) => !p.endsWith("fake.jpg"));
    assert.deepEqual(ds.train.map((s) => [s.id, s.label]), expected);
    assert.equal(ds.val.length, 0);
    const skipped = ds.skipped.map((s) => [s.id.slice(root.length + 1), s.reason]);
    assert.deepEqual(skipped.map(([p]) => p).sort(), ["cat/notes.txt", "dog/fake.jpg"]);
    assert.match(ds.skipped.find((s) => s.id.endsWith("fake.jpg"))!.reason, /magic bytes/);

    // The good files decode; the truncated JPEG fails as an ImageError naming its path.
    const broken = ds.train.find((s) => s.id.endsWith("broken.jpg"))!;
    await assert.rejects(
      broken.load(),
      (e) => e instanceof ImageError && e.message.includes(broken.id),
    );
    for (const s of ds.train.filter((s) => s !== broken)) {
      const img = await s.load();
      assert.deepEqual([img.width, img.height, img.channels], [10, 12, 3]);
    }

    // --on-bad-image fail stops at the first file with bad magic bytes and names it.
    await assert.rejects(
      loadImageFolder(root, { seed: 0, valFraction: 0, onBadImage: "fail" }),
      /dog\/fake\.jpg: content is not an image/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadImageFolder splits one folder by class with a seed", async () => {
  const root = await Deno.makeTempDir({ prefix: "imagefolder_" });
  try {
    await runPython(MAKE_TREE, [root]);
    const opts = { seed: 3, valFraction: 0.5, onBadImage: "skip" } as const;
    const a = await loadImageFolder(root, opts);
    const b = await loadImageFolder(root, opts);
    assert.deepEqual(a.val.map((s) => s.id), b.val.map((s) => s.id));
    const all = [...a.train, ...a.val].map((s) => s.id).sort();
    const full = await loadImageFolder(root, { ...opts, valFraction: 0 });
    assert.deepEqual(all, full.train.map((s) => s.id).sort());
    // cat has 5 images, dog 5 (incl. broken.jpg): round(2.5) = 3 each; lone Zebra stays in train.
    const valPer = a.classes.map((_, k) => a.val.filter((s) => s.label === k).length);
    assert.deepEqual(valPer, [0, 3, 3]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadImageFolder uses train/ and val/ subfolders and rejects val-only classes", async () => {
  const root = await Deno.makeTempDir({ prefix: "imagefolder_" });
  try {
    await runPython(MAKE_TREE, [join(root, "train")]);
    await runPython(MAKE_TREE, [join(root, "val")]);
    await Deno.remove(join(root, "val", "Zebra"), { recursive: true });
    await Deno.mkdir(join(root, "train", ".ipynb_checkpoints"));
    const ds = await loadImageFolder(root, { seed: 0, valFraction: 0.5, onBadImage: "skip" });
    assert.deepEqual(ds.classes, ["Zebra", "cat", "dog"]);
    assert.equal(ds.train.length, 11);
    assert.equal(ds.val.length, 10);
    assert.ok(ds.val.every((s) => s.id.startsWith(join(root, "val"))));
    assert.deepEqual(new Set(ds.val.map((s) => s.label)), new Set([1, 2]));

    await Deno.mkdir(join(root, "val", "unicorn"));
    await assert.rejects(
      loadImageFolder(root, { seed: 0, valFraction: 0.5, onBadImage: "skip" }),
      /classes missing from train\/: unicorn/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadImageFolder names a missing root and a root without classes", async () => {
  const root = await Deno.makeTempDir({ prefix: "imagefolder_" });
  try {
    const opts = { seed: 0, valFraction: 0.2, onBadImage: "skip" } as const;
    await assert.rejects(loadImageFolder(join(root, "nope"), opts), /nope' is not a folder/);
    await assert.rejects(loadImageFolder(root, opts), /has no class folders/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
