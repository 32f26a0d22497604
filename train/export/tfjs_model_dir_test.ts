import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../shared/rng.ts";
import { randomizeWeights, randomNchw, tfjsLogits } from "./export_test_support.ts";
import { loadTfjsModelDir, saveTfjsModelDir } from "./tfjs_model_dir.ts";

await tf.setBackend("cpu");

Deno.test("saveTfjsModelDir then loadTfjsModelDir gives a model with the same logits", async () => {
  const input = tf.input({ shape: [6, 6, 3] });
  const c = tf.layers.conv2d({ filters: 3, kernelSize: 3 }).apply(input);
  const b = tf.layers.batchNormalization().apply(c);
  const out = tf.layers.dense({ units: 2 }).apply(
    tf.layers.flatten().apply(b),
  ) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  randomizeWeights(model, new Rng(3));
  const dir = await Deno.makeTempDir();
  await saveTfjsModelDir(model, dir);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
    "model.json",
    "weights.bin",
  ]);
  const loaded = await loadTfjsModelDir(dir);
  const x = randomNchw(new Rng(4), 2, 6, 6);
  assert.deepEqual(tfjsLogits(loaded, x, 2, 6, 6), tfjsLogits(model, x, 2, 6, 6));
  model.dispose();
  loaded.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadTfjsModelDir names the file at fault", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(() => loadTfjsModelDir(dir), /model\.json: cannot read a tfjs model\.json/);
  await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify({ labels: ["a"] }));
  await assert.rejects(() => loadTfjsModelDir(dir), /not a tfjs layers model/);
  await Deno.writeTextFile(
    `${dir}/model.json`,
    JSON.stringify({
      modelTopology: {},
      weightsManifest: [{ paths: ["gone.bin"], weights: [] }],
    }),
  );
  await assert.rejects(() => loadTfjsModelDir(dir), /gone\.bin: cannot read weights/);
  await Deno.remove(dir, { recursive: true });
});
