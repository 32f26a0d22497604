import assert from "node:assert/strict";
import { join } from "node:path";
import { Image as ScriptImage } from "imagescript";
import { loadDataset } from "./load_dataset.ts";
import { WAFER_CLASSES } from "./wafer_map.ts";

Deno.test("loadDataset('wafer') is the default 9-class set at the training image size", async () => {
  const cases: [string, Parameters<typeof loadDataset>[1], number, number][] = [
    // spec, options, train size, val size
    ["wafer", { imageSize: 32, seed: 0 }, 250 * 9, 60 * 9],
    ["wafer", { imageSize: 32, seed: 0, valFraction: 0.5, wafer: { countPerClass: 10 } }, 90, 90],
    ["wafer", { imageSize: 32, seed: 0, wafer: { countPerClass: 10, valPerClass: 3 } }, 90, 27],
  ];
  for (const [spec, opts, nTrain, nVal] of cases) {
    const ds = await loadDataset(spec, opts);
    assert.deepEqual(ds.classes, [...WAFER_CLASSES]);
    assert.equal(ds.train.length, nTrain);
    assert.equal(ds.val.length, nVal);
  }
  const big = await loadDataset("wafer", {
    imageSize: 48,
    seed: 1,
    wafer: { countPerClass: 2, valPerClass: 1 },
  });
  assert.equal((await big.val[0].load()).width, 48);
  const skewed = await loadDataset("wafer:wm811k", { imageSize: 32, seed: 0 });
  const none = skewed.train.filter((s) => s.label === 0).length;
  assert.ok(none / skewed.train.length > 0.8);
});

Deno.test("loadDataset dispatches imagefolder, csv and cifar10 specs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "loadds_" });
  try {
    const png = await new ScriptImage(3, 2).encode();
    for (const p of ["img/a/1.png", "img/a/2.png", "img/b/3.png", "img/b/4.png"]) {
      await Deno.mkdir(join(dir, p, ".."), { recursive: true });
      await Deno.writeFile(join(dir, p), png);
    }
    const opts = { imageSize: 32, seed: 0, valFraction: 0.5 };
    const folder = await loadDataset(`imagefolder:${join(dir, "img")}`, opts);
    assert.deepEqual(folder.classes, ["a", "b"]);
    assert.equal(folder.train.length + folder.val.length, 4);
    assert.equal((await folder.train[0].load()).height, 2);

    await Deno.writeTextFile(join(dir, "img", "l.csv"), "filename,label\na/1.png,x\nb/3.png,y\n");
    const csv = await loadDataset(`csv:${join(dir, "img", "l.csv")}`, opts);
    assert.deepEqual(csv.classes, ["x", "y"]);
    const csv2 = await loadDataset(`csv:${join(dir, "img", "l.csv")},${join(dir, "img")}`, {
      ...opts,
      valFraction: 0,
    });
    assert.equal(csv2.train.length, 2);

    // Tiny CIFAR batches: one record each, label = file number.
    const cifar = join(dir, "cifar");
    await Deno.mkdir(cifar);
    const names = [
      "data_batch_1",
      "data_batch_2",
      "data_batch_3",
      "data_batch_4",
      "data_batch_5",
      "test_batch",
    ];
    for (const [i, name] of names.entries()) {
      const rec = new Uint8Array(3073);
      rec[0] = i;
      await Deno.writeFile(join(cifar, `${name}.bin`), rec);
    }
    await Deno.writeTextFile(
      join(cifar, "batches.meta.txt"),
      "c0\nc1\nc2\nc3\nc4\nc5\nc6\nc7\nc8\nc9\n",
    );
    const c = await loadDataset(`cifar10:${cifar}`, opts);
    assert.deepEqual(c.train.map((s) => s.label), [0, 1, 2, 3, 4]);
    assert.deepEqual(c.val.map((s) => s.label), [5]);
    const cached = await loadDataset("cifar10", {
      ...opts,
      cacheDir: dir,
      cifar10: { download: false },
    }).catch((e) => e);
    assert.match(String(cached), new RegExp(`${join(dir, "cifar10")}`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadDataset names a bad spec", async () => {
  for (const spec of ["mnist", "imagefolder:", "csv:", "wafer:tilted", "", "Wafer"]) {
    await assert.rejects(loadDataset(spec, { imageSize: 32, seed: 0 }), (e: Error) => {
      assert.ok(e instanceof RangeError);
      assert.ok(e.message.includes(`unknown dataset spec '${spec}'`), e.message);
      assert.match(e.message, /imagefolder:<dir>/);
      return true;
    });
  }
  await assert.rejects(
    loadDataset("wafer", { imageSize: 32, seed: 0, onBadImage: "ignore" as "skip" }),
    /onBadImage must be skip or fail/,
  );
});
