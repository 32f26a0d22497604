import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { chooseBackend } from "./backend.ts";
import { AdamW } from "./adamw.ts";
import {
  CHECKPOINT_FILE,
  loadCheckpoint,
  readCheckpoint,
  saveCheckpoint,
  trainableVariables,
} from "./checkpoint.ts";

await chooseBackend("cpu", () => {});

/** A tiny conv net with BatchNorm, so non-trainable moving statistics are covered too. */
function tinyModel(units = 3): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [6, 6, 3],
        filters: 4,
        kernelSize: 3,
        kernelInitializer: "glorotUniform",
      }),
      tf.layers.batchNormalization(),
      tf.layers.flatten(),
      tf.layers.dense({ units }),
    ],
  });
}

/** A few AdamW steps in training mode, so weights, BN statistics and moments are all non-trivial. */
function trainSteps(model: tf.LayersModel, opt: AdamW, steps: number) {
  for (let s = 0; s < steps; s++) {
    const x = tf.randomNormal([4, 6, 6, 3], 1, 2, "float32", 100 + s);
    const { value, grads } = tf.variableGrads(
      () =>
        tf.tidy(() =>
          tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar
        ),
      trainableVariables(model),
    );
    opt.applyGradients(grads);
    tf.dispose([x, value, ...Object.values(grads)]);
  }
}

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "edgeclass_ckpt_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("saveCheckpoint/loadCheckpoint round-trip weights, BN stats, optimizer and state", async () => {
  await withTempDir(async (dir) => {
    const a = tinyModel();
    const optA = new AdamW({ lr: 0.01, weightDecay: 0.1 });
    trainSteps(a, optA, 3);
    const state = {
      epoch: 2,
      rng: [1, 2, 3, 4],
      history: [{ loss: 1.5 }, { loss: 0.5 }],
      extra: { best: 1 },
    };
    await saveCheckpoint(`${dir}/last`, a, optA, state);

    // a second model built later has different variable names, as after a restart
    const b = tinyModel();
    assert.notEqual(b.weights[0].name, a.weights[0].name);
    const optB = new AdamW({ lr: 0.01, weightDecay: 0.1 });
    const got = await loadCheckpoint(`${dir}/last`, b, optB);
    assert.deepEqual(got, state);
    a.weights.forEach((w, i) =>
      assert.deepEqual(b.weights[i].read().dataSync(), w.read().dataSync(), w.name)
    );
    // BN moving mean moved away from its init, so the comparison above covered real values
    const movingMean = b.weights.find((w) => w.name.includes("moving_mean"))!;
    assert.ok(movingMean.read().dataSync().some((x) => x !== 0));
    // continuing both gives identical weights: the optimizer state came back too
    trainSteps(a, optA, 2);
    trainSteps(b, optB, 2);
    a.weights.forEach((w, i) =>
      assert.deepEqual(b.weights[i].read().dataSync(), w.read().dataSync(), w.name)
    );
  });
});

Deno.test("readCheckpoint errors name the file for missing, corrupt and foreign files", async () => {
  await withTempDir(async (dir) => {
    const model = tinyModel();
    const file = await saveCheckpoint(`${dir}/c`, model, null, {
      epoch: 1,
      rng: [],
      history: [],
      extra: {},
    });
    assert.equal(file, `${dir}/c/${CHECKPOINT_FILE}`);
    const good = await Deno.readFile(file);
    await assert.rejects(
      readCheckpoint(`${dir}/missing`),
      (e: Error) => e.message.includes(`${dir}/missing/${CHECKPOINT_FILE} not found`),
    );
    const variants: [string, Uint8Array, RegExp][] = [
      [
        "flipped byte",
        (() => {
          const b = good.slice();
          b[b.length - 5] ^= 0x40;
          return b;
        })(),
        /checksum/,
      ],
      ["truncated", good.slice(0, good.length - 100), /checksum|multiple of 4/],
      ["header cut", good.slice(0, 40), /truncated header/],
      ["not a checkpoint", new TextEncoder().encode('{"weights": []}\n padding padding'), /magic/],
      ["empty", new Uint8Array(0), /magic/],
    ];
    for (const [what, bytes, re] of variants) {
      await Deno.writeFile(file, bytes);
      await assert.rejects(readCheckpoint(`${dir}/c`), (e: Error) => {
        assert.ok(e.message.includes(file), `${what}: ${e.message}`);
        assert.match(e.message, re, what);
        return true;
      });
    }
  });
});

Deno.test("loadCheckpoint refuses a checkpoint of another architecture, naming the file", async () => {
  await withTempDir(async (dir) => {
    await saveCheckpoint(`${dir}/c`, tinyModel(3), null, {
      epoch: 1,
      rng: [],
      history: [],
      extra: {},
    });
    await assert.rejects(
      loadCheckpoint(`${dir}/c`, tinyModel(5)),
      /checkpoint .*checkpoint\.bin: weight \d+ .*shape/,
    );
    await assert.rejects(
      loadCheckpoint(`${dir}/c`, tinyModel(3), new AdamW({ lr: 1 })),
      /no optimizer state/,
    );
  });
});

/** Per layer, the values of its weights (BN moving statistics included). */
function layerValues(model: tf.LayersModel): number[][][] {
  return model.layers.map((l) => l.weights.map((w) => Array.from(w.read().dataSync())));
}

Deno.test("checkpoints restore every weight whatever is trainable at save and at load", async () => {
  await withTempDir(async (dir) => {
    // tfjs lists trainable weights first in model.weights, so freezing reorders it
    const cases: [string, number[], number[]][] = [
      ["conv frozen at save", [0], []],
      ["conv and BN frozen at load", [], [0, 1]],
      ["dense frozen at save, conv at load", [3], [0]],
    ];
    for (const [what, frozenAtSave, frozenAtLoad] of cases) {
      const a = tinyModel();
      trainSteps(a, new AdamW({ lr: 0.05 }), 2); // BN statistics move away from 0/1
      for (const i of frozenAtSave) a.layers[i].trainable = false;
      await saveCheckpoint(`${dir}/${what}`, a, null, {
        epoch: 1,
        rng: [],
        history: [],
        extra: {},
      });
      const b = tinyModel();
      for (const i of frozenAtLoad) b.layers[i].trainable = false;
      await loadCheckpoint(`${dir}/${what}`, b);
      assert.deepEqual(layerValues(b), layerValues(a), what);
    }
  });
});

Deno.test("readCheckpoint still reads format 1 files (weights in model.weights order)", async () => {
  await withTempDir(async (dir) => {
    const a = tinyModel();
    trainSteps(a, new AdamW({ lr: 0.05 }), 2);
    const file = await saveCheckpoint(`${dir}/c`, a, null, {
      epoch: 1,
      rng: [],
      history: [],
      extra: {},
    });
    // rewrite it as format 1: the same blob, the tensor table keyed in model.weights order
    const bytes = await Deno.readFile(file);
    const view = new DataView(bytes.buffer);
    const headerLen = view.getUint32(12, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLen)));
    const stable = a.layers.flatMap((l) => l.weights);
    const legacyIndex = (i: number) => a.weights.indexOf(stable[i]);
    for (const t of header.tensors) {
      const m = /^model\/(\d+)$/.exec(t.key);
      if (m) t.key = `model/${legacyIndex(Number(m[1]))}`;
    }
    header.format = 1;
    let json = new TextEncoder().encode(JSON.stringify(header));
    const pad = (4 - ((16 + json.length) % 4)) % 4;
    json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(pad));
    const blob = bytes.subarray(16 + headerLen);
    const v1 = new Uint8Array(16 + json.length + blob.length);
    v1.set(bytes.subarray(0, 8));
    new DataView(v1.buffer).setUint32(8, 1, true);
    new DataView(v1.buffer).setUint32(12, json.length, true);
    v1.set(json, 16);
    v1.set(blob, 16 + json.length);
    assert.notDeepEqual(stable.map((w) => w.name), a.weights.map((w) => w.name), "orders differ");
    await Deno.writeFile(file, v1);
    const b = tinyModel();
    await loadCheckpoint(`${dir}/c`, b);
    assert.deepEqual(layerValues(b), layerValues(a));
  });
});
