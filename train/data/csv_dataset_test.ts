import assert from "node:assert/strict";
import { join } from "node:path";
import { loadCsvDataset } from "./csv_dataset.ts";
import { runPython } from "./run_python.ts";

const MAKE_IMAGES = `
import os, sys
import numpy as np
from PIL import Image
d = sys.argv[1]
rs = np.random.RandomState(1)
for name in ['a.png', 'b.png', 'c.jpg', 'd,e.png', 'f.png', 'g.png']:
    Image.fromarray((rs.rand(8, 8, 3) * 255).astype('uint8')).save(os.path.join(d, name))
open(os.path.join(d, 'text.png'), 'w').write('hello')
`;

async function withImages(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "csvds_" });
  try {
    await runPython(MAKE_IMAGES, [dir]);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const OPTS = { seed: 0, valFraction: 0, onBadImage: "fail" } as const;

Deno.test("loadCsvDataset names the CSV line of each kind of bad row", async () => {
  await withImages(async (dir) => {
    const good = "filename,label\na.png,cat\nb.png,dog\n";
    // [why, CSV text, expected line, message pattern]; classes.txt lists cat and dog.
    const cases: [string, string, number, RegExp][] = [
      ["missing file", `${good}nope.png,cat\n`, 4, /file '.*nope\.png' not found/],
      ["unknown label", `${good}c.jpg,bird\n`, 4, /unknown label 'bird' \(classes: cat, dog\)/],
      ["label index out of range", `${good}c.jpg,2\n`, 4, /unknown label '2'/],
      ["empty label", `${good}c.jpg,\n`, 4, /empty 'label' field/],
      ["empty filename", `${good}"",cat\n`, 4, /empty 'filename' field/],
      ["too few fields", `${good}c.jpg\n`, 4, /expected 2 fields, got 1/],
      ["not an image", `${good}text.png,cat\n`, 4, /is not a supported image/],
      // A quoted newline makes the record after it start one line later.
      [
        "after a multi-line field",
        `filename,label,note\na.png,cat,"two\nlines"\nnope.png,dog,x\n`,
        4,
        /not found/,
      ],
    ];
    await Deno.writeTextFile(join(dir, "classes.txt"), "cat\ndog\n");
    for (const [why, text, line, pattern] of cases) {
      const csv = join(dir, "labels.csv");
      await Deno.writeTextFile(csv, text);
      await assert.rejects(loadCsvDataset(csv, dir, OPTS), (e: Error) => {
        assert.match(e.message, new RegExp(`labels\\.csv line ${line}: `), why);
        assert.match(e.message, pattern, why);
        return true;
      });
      // With skip, the row is listed with the same message and the good rows load.
      const ds = await loadCsvDataset(csv, dir, { ...OPTS, onBadImage: "skip" });
      assert.equal(ds.skipped.length, 1, why);
      assert.match(ds.skipped[0].reason, new RegExp(`line ${line}: `), why);
      assert.ok(ds.train.length >= 1, why);
    }
  });
});

Deno.test("loadCsvDataset names a missing column and an unreadable CSV", async () => {
  await withImages(async (dir) => {
    const csv = join(dir, "x.csv");
    await Deno.writeTextFile(csv, "path,target\na.png,1\n");
    await assert.rejects(
      loadCsvDataset(csv, dir, OPTS),
      /x\.csv line 1: no 'filename' column \(header: path, target\)/,
    );
    const ds = await loadCsvDataset(csv, dir, {
      ...OPTS,
      filenameColumn: "path",
      labelColumn: "target",
    });
    assert.deepEqual(ds.classes, ["0", "1"]);
    assert.deepEqual(ds.train.map((s) => s.label), [1]);
    await assert.rejects(
      loadCsvDataset(join(dir, "none.csv"), dir, OPTS),
      /cannot read .*none\.csv/,
    );
  });
});

Deno.test("loadCsvDataset resolves names, integer labels, quoted paths and a split column", async () => {
  await withImages(async (dir) => {
    const csv = join(dir, "l.csv");
    const cases: [string, string[], [string, number][], number][] = [
      // CSV body, expected classes, expected [file, label] in train, val size
      ['a.png,zebra\n"d,e.png",ant\nb.png,zebra\n', ["ant", "zebra"], [
        ["a.png", 1],
        ["d,e.png", 0],
        ["b.png", 1],
      ], 0],
      ["a.png,2\nb.png,0\n", ["0", "1", "2"], [["a.png", 2], ["b.png", 0]], 0],
    ];
    for (const [body, classes, train, nVal] of cases) {
      await Deno.writeTextFile(csv, `filename,label\n${body}`);
      const ds = await loadCsvDataset(csv, dir, OPTS);
      assert.deepEqual(ds.classes, classes);
      assert.deepEqual(ds.train.map((s) => [s.id.slice(dir.length + 1), s.label]), train);
      assert.equal(ds.val.length, nVal);
    }
    await Deno.writeTextFile(
      csv,
      "filename,label,split\na.png,x,train\nb.png,y,val\nf.png,y,TRAIN\n",
    );
    const ds = await loadCsvDataset(csv, dir, OPTS);
    assert.deepEqual(ds.train.map((s) => s.id.slice(dir.length + 1)), ["a.png", "f.png"]);
    assert.deepEqual(ds.val.map((s) => s.id.slice(dir.length + 1)), ["b.png"]);
    const img = await ds.val[0].load();
    assert.deepEqual([img.width, img.height, img.channels], [8, 8, 3]);
  });
});
