import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_CONFIG, type TrainConfig } from "./config.ts";
import { checkpointWeights, readCheckpoint } from "./checkpoint.ts";
import { buildModel } from "./models/build_model.ts";
import { type EpochRecord, train, type TrainOptions } from "./trainer.ts";

// A tiny run: 9 wafer classes, 16 px, a few hundred maps. Same backend and seed for every run,
// so an interrupted + resumed run must reproduce the uninterrupted one.
const SMALL_WAFER: TrainOptions["datasetOptions"] = {
  wafer: { countPerClass: 32, valPerClass: 12 },
};

function tinyConfig(out: string, name: string, over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...DEFAULT_CONFIG,
    imageSize: 16,
    epochs: 2,
    batchSize: 32,
    lr: 3e-3,
    backend: "wasm",
    seed: 3,
    prefetch: 1,
    out,
    name,
    ...over,
  };
}

const quiet = () => {};

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** History without the wall-clock fields, which no two runs share. */
function reproducible(h: EpochRecord[]) {
  return h.map(({ seconds: _s, imagesPerSecond: _i, ...rest }) => rest);
}

Deno.test("train runs 2 epochs end to end: artifacts, falling loss, better than chance", async () => {
  const out = await Deno.makeTempDir({ prefix: "edgeclass_train_e2e_" });
  try {
    const result = await train(tinyConfig(out, "e2e"), {
      datasetOptions: SMALL_WAFER,
      log: quiet,
    });
    const dir = join(out, "e2e");
    assert.equal(result.runDir, dir);
    assert.equal(result.status, "finished");
    for (
      const f of [
        "config.json",
        "history.json",
        "curves.png",
        "confusion.png",
        "metrics.json",
        "checkpoints/best/checkpoint.bin",
        "checkpoints/last/checkpoint.bin",
        "model.onnx",
        "model.json",
      ]
    ) assert.ok(await exists(join(dir, f)), `${f} is missing`);

    const history = JSON.parse(await Deno.readTextFile(join(dir, "history.json"))) as EpochRecord[];
    assert.equal(history.length, 2);
    assert.ok(history[1].trainLoss < history[0].trainLoss, "train loss goes down");
    // 9 classes: chance is 11%
    const best = Math.max(...history.map((h) => h.valAcc));
    assert.ok(best > 0.3, `val accuracy ${best} beats chance by a margin`);
    assert.ok(history.every((h) => h.valTop5 !== null), "top-5 is logged with 9 classes");

    const metrics = JSON.parse(await Deno.readTextFile(join(dir, "metrics.json")));
    assert.equal(metrics.perClass.length, 9);
    assert.equal(metrics.count, 9 * 12);
    assert.equal(metrics.top1, best, "metrics.json is the best checkpoint's");
    assert.equal(metrics.skippedCount, 0);
    // a second fresh run into the same folder would clobber it: refused, naming the folder
    await assert.rejects(
      train(tinyConfig(out, "e2e"), { log: quiet }),
      /e2e already has checkpoints/,
    );
    const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
    assert.equal(config.imageSize, 16);

    const modelJson = JSON.parse(await Deno.readTextFile(join(dir, "model.json")));
    assert.equal(modelJson.labels.length, 9);
    assert.deepEqual(modelJson.inputSize, [16, 16]);
    assert.equal(modelJson.preprocess.layout, "CHW");
    assert.equal(modelJson.metrics.valTop1, best);
    // the ONNX file is valid for the reference checker
    const check = await new Deno.Command("/usr/bin/python3", {
      args: [
        "-c",
        "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1])); print('ok')",
        join(dir, "model.onnx"),
      ],
    }).output();
    assert.equal(
      new TextDecoder().decode(check.stdout).trim(),
      "ok",
      new TextDecoder().decode(check.stderr),
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("train --resume after an interruption (mid-epoch and between epochs) reproduces the uninterrupted run", async () => {
  const out = await Deno.makeTempDir({ prefix: "edgeclass_train_resume_" });
  try {
    const opts = { datasetOptions: SMALL_WAFER, log: quiet, skipExport: true };
    const full = await train(tinyConfig(out, "full"), opts);
    assert.equal(full.history.length, 2);

    // 1) stop in the middle of epoch 1, after its 3rd batch
    const stop1 = new AbortController();
    const cut = await train(tinyConfig(out, "cut"), {
      ...opts,
      signal: stop1.signal,
      onBatch: (epoch, batch) => {
        if (epoch === 0 && batch === 3) stop1.abort();
      },
    });
    assert.equal(cut.status, "interrupted");
    assert.equal(cut.history.length, 0);
    const mid = await readCheckpoint<EpochRecord>(join(out, "cut", "checkpoints", "last"));
    assert.equal(mid.state.epoch, 0);
    assert.equal((mid.state.extra as { batch: number }).batch, 3);

    // 2) resume, and stop again right after epoch 1 ends
    const stop2 = new AbortController();
    const again = await train(tinyConfig(out, "cut"), {
      ...opts,
      resume: join(out, "cut"),
      signal: stop2.signal,
      log: (line) => {
        if (line.startsWith("epoch 1/2")) stop2.abort();
      },
    });
    assert.equal(again.status, "interrupted");
    assert.equal(again.history.length, 1);

    // 3) resume to the end
    const done = await train(tinyConfig(out, "cut"), { ...opts, resume: join(out, "cut") });
    assert.equal(done.status, "finished");
    assert.deepEqual(reproducible(done.history), reproducible(full.history));

    const a = await readCheckpoint(join(out, "full", "checkpoints", "last"));
    const b = await readCheckpoint(join(out, "cut", "checkpoints", "last"));
    assert.equal(a.weights.length, b.weights.length);
    a.weights.forEach((w, i) => assert.deepEqual(b.weights[i].data, w.data, `weight ${i}`));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("train with patience stops early and reports it", async () => {
  const out = await Deno.makeTempDir({ prefix: "edgeclass_train_patience_" });
  try {
    // lr so small that val accuracy soon stops improving (only BN statistics move)
    const result = await train(
      tinyConfig(out, "p", { epochs: 6, patience: 1, lr: 1e-9, weightDecay: 0 }),
      { datasetOptions: SMALL_WAFER, log: quiet, skipExport: true },
    );
    assert.equal(result.status, "early_stop");
    assert.ok(result.history.length < 6, `stopped after ${result.history.length} epochs`);
    // stopped exactly `patience` epochs after the best one
    assert.equal(result.history.length - result.bestEpoch, 1);
    const accs = result.history.map((h) => h.valAcc);
    assert.equal(Math.max(...accs), accs[result.bestEpoch - 1]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

/** Layer name of every checkpoint weight, from a model of the same architecture. */
function weightLayers(config: TrainConfig, numClasses: number): string[] {
  const model = buildModel({
    arch: config.arch,
    numClasses,
    inputSize: config.imageSize,
    seed: config.seed,
  });
  const names = checkpointWeights(model).map((w) => w.originalName.split("/")[0]);
  model.dispose();
  return names;
}

/** Layers whose weights (BatchNorm moving statistics included) differ between two checkpoints. */
function changedLayers(
  a: { data: Float32Array }[],
  b: { data: Float32Array }[],
  layers: string[],
): string[] {
  const out = new Set<string>();
  a.forEach((w, i) => {
    if (w.data.some((v, j) => v !== b[i].data[j])) out.add(layers[i]);
  });
  return [...out].sort();
}

Deno.test("train --schedule head:1,finetune:1: head stage trains only the head, finetune only last:N; resume across the stage boundary is exact", async () => {
  const out = await Deno.makeTempDir({ prefix: "edgeclass_train_stages_" });
  try {
    const over: Partial<TrainConfig> = {
      schedule: "head:1,finetune:1",
      unfreeze: "last:1",
      backboneLrMult: 0.1,
      epochs: 2,
    };
    const opts = { datasetOptions: SMALL_WAFER, log: quiet, skipExport: true };
    const lines: string[] = [];
    const full = await train(tinyConfig(out, "full", over), {
      ...opts,
      log: (l) => lines.push(l),
    });
    assert.deepEqual(full.history.map((h) => h.stage), ["head", "finetune"]);
    assert.ok(
      lines.some((l) => /^stage head: epochs 1-1, trains the head only/.test(l)),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) =>
        /^stage finetune: epochs 2-2, trains the head and the last 1 backbone block\(s\), \d+ trainable parameters, backbone lr x0\.1$/
          .test(l)
      ),
    );
    // the checkpoint holds weights in model.weights order; map them to their layers
    const config = tinyConfig(out, "full", over);
    const layers = weightLayers(config, 9);
    const init = buildModel({ arch: "simple_cnn", numClasses: 9, inputSize: 16, seed: 3 });
    const initWeights = checkpointWeights(init).map((w) => ({
      data: w.read().dataSync() as Float32Array,
    }));
    init.dispose();
    const finalFull = await readCheckpoint(join(out, "full", "checkpoints", "last"));
    // last:1 of simple_cnn is the third conv block features.8-11 (conv and BN have weights)
    assert.deepEqual(changedLayers(initWeights, finalFull.weights, layers), [
      "classifier.0",
      "classifier.3",
      "features.8",
      "features.9",
    ]);

    // 1) stop at the stage boundary: only the head has moved, stage 0 is recorded
    const stop1 = new AbortController();
    const cut = await train(tinyConfig(out, "cut", over), {
      ...opts,
      signal: stop1.signal,
      log: (line) => {
        if (line.startsWith("epoch 1/2")) stop1.abort();
      },
    });
    assert.equal(cut.status, "interrupted");
    const boundary = await readCheckpoint(join(out, "cut", "checkpoints", "last"));
    assert.equal(boundary.state.epoch, 1);
    // saved at the top of epoch 2, after switching to the finetune stage
    assert.equal((boundary.state.extra as { stage: number }).stage, 1);
    assert.deepEqual(changedLayers(initWeights, boundary.weights, layers), [
      "classifier.0",
      "classifier.3",
    ]);
    // `best` was saved at the end of epoch 1, in the head stage, with the head's optimizer
    // state only: what `last` holds when a run is killed during epoch 2. Resume from that.
    const best = await readCheckpoint(join(out, "cut", "checkpoints", "best"));
    assert.deepEqual([best.state.epoch, (best.state.extra as { stage: number }).stage], [1, 0]);
    await Deno.copyFile(
      join(out, "cut", "checkpoints", "best", "checkpoint.bin"),
      join(out, "cut", "checkpoints", "last", "checkpoint.bin"),
    );

    // 2) resume into stage 2 and stop after its 2nd batch
    const stop2 = new AbortController();
    const again = await train(tinyConfig(out, "cut", over), {
      ...opts,
      resume: join(out, "cut"),
      signal: stop2.signal,
      onBatch: (epoch, batch) => {
        if (epoch === 1 && batch === 2) stop2.abort();
      },
    });
    assert.equal(again.status, "interrupted");
    const mid = await readCheckpoint(join(out, "cut", "checkpoints", "last"));
    assert.deepEqual(
      [
        mid.state.epoch,
        (mid.state.extra as { batch: number; stage: number }).batch,
        (mid.state.extra as { stage: number }).stage,
      ],
      [1, 2, 1],
    );

    // 3) resume in the finetune stage (stage 1 recorded) and finish
    const done = await train(tinyConfig(out, "cut", over), { ...opts, resume: join(out, "cut") });
    assert.equal(done.status, "finished");
    assert.deepEqual(reproducible(done.history), reproducible(full.history));
    const b = await readCheckpoint(join(out, "cut", "checkpoints", "last"));
    finalFull.weights.forEach((w, i) => assert.deepEqual(b.weights[i].data, w.data, `weight ${i}`));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
