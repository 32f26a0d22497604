/**
 * Transfer learning end to end, as a user runs it: torchvision resnet18 weights (random, BN
 * statistics randomised, written as safetensors by scripts/make_torchvision_safetensors.py),
 * `deno task train --weights ... --schedule head:1,finetune:1 --unfreeze last:1` on a tiny
 * Pillow-made image folder, the automatic ONNX export, then `deno task predict` (the edge
 * runtime) on images. Checks:
 * - the run recorded the pretrained defaults (recipe, ImageNet mean/std in the PreprocessConfig)
 *   and one history across both stages;
 * - only layer4.1 and the head moved away from the loaded torchvision weights (the rest stayed
 *   frozen, BN statistics included), so the weights were loaded and the stages obeyed;
 * - the edge's probabilities equal the tfjs model's (best checkpoint, same preprocessed image)
 *   within 1e-4, and its JSON is well-formed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { applyPreprocess } from "../shared/apply_preprocess.ts";
import { decodeImage } from "../shared/decode.ts";
import { IMAGENET_MEAN, IMAGENET_STD, parsePreprocessConfig } from "../shared/preprocess_config.ts";
import { softmax } from "../shared/softmax.ts";
import { chooseBackend } from "../train/backend.ts";
import { applyWeights, checkpointWeights, readCheckpoint } from "../train/checkpoint.ts";
import { buildModel } from "../train/models/build_model.ts";
import { loadWeightsInto } from "../train/weights/mod.ts";
import { runPython } from "../train/weights/run_python.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const CLASSES = ["blue_stripes", "green_disc", "red_square"];
const SIZE = 32;
const PHOTO = "/usr/lib/python3/dist-packages/skimage/data/chelsea.png";

/** 3 classes x `n` 40x40 PNGs drawn by Pillow (shapes on noisy backgrounds). */
async function makeImageFolder(dir: string, n: number): Promise<void> {
  const code = `
import os, random, sys
from PIL import Image, ImageDraw
root, n = sys.argv[1], int(sys.argv[2])
random.seed(1)
for cls in ["red_square", "green_disc", "blue_stripes"]:
    os.makedirs(os.path.join(root, cls), exist_ok=True)
    for i in range(n):
        im = Image.new("RGB", (40, 40), tuple(random.randint(90, 160) for _ in range(3)))
        d = ImageDraw.Draw(im)
        o = random.randint(0, 10)
        if cls == "red_square": d.rectangle([o, o, o + 24, o + 24], fill=(230, 30, 30))
        elif cls == "green_disc": d.ellipse([o, o, o + 26, o + 26], fill=(30, 220, 40))
        else:
            for x in range(o % 4, 40, 6): d.line([x, 0, x, 39], fill=(20, 40, 230), width=3)
        im.save(os.path.join(root, cls, f"{i:03d}.png"))
`;
  await runPython(["-c", code, dir, String(n)]);
}

async function deno(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Layers whose weights differ between two weight lists in `checkpointWeights` order. */
function changedLayers(
  model: tf.LayersModel,
  a: { data: Float32Array }[],
  b: { data: Float32Array }[],
): string[] {
  const out = new Set<string>();
  checkpointWeights(model).forEach((w, i) => {
    if (a[i].data.some((v, j) => v !== b[i].data[j])) out.add(w.originalName.split("/")[0]);
  });
  return [...out].sort();
}

/** CHW [3, H, W] to HWC [H, W, 3]. */
function chwToHwc(chw: Float32Array, h: number, w: number): Float32Array {
  const out = new Float32Array(chw.length);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < h * w; i++) out[i * 3 + c] = chw[c * h * w + i];
  }
  return out;
}

Deno.test("train --weights --schedule head:1,finetune:1 --unfreeze last:1, export, then edge predict matches tfjs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edgeclass_finetune_e2e_" });
  try {
    await makeImageFolder(join(dir, "data"), 8);
    const weights = join(dir, "resnet18.safetensors");
    // a 10-class torchvision head: the 3-class run skips it and trains a fresh one
    await runPython([
      "scripts/make_torchvision_safetensors.py",
      "--arch",
      "resnet18",
      "--num-classes",
      "10",
      "--out",
      weights,
    ]);
    const sha = (await runPython([
      "-c",
      "import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())",
      weights,
    ])).trim();

    const train = await deno([
      "run",
      "-A",
      "train/main.ts",
      "--data",
      `imagefolder:${join(dir, "data")}`,
      "--arch",
      "resnet18",
      "--weights",
      weights,
      "--weights-sha256",
      sha.slice(0, 16),
      "--schedule",
      "head:1,finetune:1",
      "--unfreeze",
      "last:1",
      "--backbone-lr-mult",
      "0.1",
      "--image-size",
      String(SIZE),
      "--batch-size",
      "8",
      "--val-fraction",
      "0.25",
      "--backend",
      "wasm",
      "--out",
      join(dir, "runs"),
      "--name",
      "ft",
    ]);
    assert.equal(train.code, 0, train.stdout + train.stderr);
    const log = train.stdout;
    assert.match(log, /weights: skipping head 'fc' on purpose: checkpoint has 10 classes/);
    assert.match(log, /weights: loaded \d+ tensors into \d+ layers of resnet18/);
    assert.match(log, /^stage head: epochs 1-1, trains the head only/m);
    assert.match(log, /^stage finetune: epochs 2-2, trains the head and the last 1 backbone/m);
    const run = join(dir, "runs", "ft");

    const config = JSON.parse(await Deno.readTextFile(join(run, "config.json")));
    assert.equal(config.augment, "pretrained", "pretrained recipe is the default with --weights");
    assert.equal(config.epochs, 2);
    const history = JSON.parse(await Deno.readTextFile(join(run, "history.json")));
    assert.deepEqual(history.map((h: { stage: string }) => h.stage), ["head", "finetune"]);
    const report = JSON.parse(await Deno.readTextFile(join(run, "weights.json")));
    assert.equal(report.sha256, sha);
    assert.equal(report.headLoaded, false);
    const meta = JSON.parse(await Deno.readTextFile(join(run, "model.json")));
    assert.deepEqual(meta.labels, CLASSES);
    const preprocess = parsePreprocessConfig(meta.preprocess);
    assert.deepEqual(preprocess.mean, [...IMAGENET_MEAN]);
    assert.deepEqual(preprocess.std, [...IMAGENET_STD]);

    // the model: resnet18 with the best checkpoint, as exported
    await chooseBackend("cpu", () => {});
    const model = buildModel({ arch: "resnet18", numClasses: 3, inputSize: SIZE, seed: 42 });
    await loadWeightsInto(model, "resnet18", weights, { numClasses: 3, log: () => {} });
    const loaded = checkpointWeights(model).map((w) => ({
      data: w.read().dataSync() as Float32Array,
    }));
    const last = await readCheckpoint(join(run, "checkpoints", "last"));
    assert.deepEqual(changedLayers(model, loaded, last.weights), [
      "fc",
      "layer4.1.bn1",
      "layer4.1.bn2",
      "layer4.1.conv1",
      "layer4.1.conv2",
    ]);
    applyWeights(await readCheckpoint(join(run, "checkpoints", "best")), model);

    const image = join(dir, "data", "green_disc", "003.png");
    const predict = await deno([
      "run",
      "-A",
      "edge/predict.ts",
      "--model",
      join(run, "model.onnx"),
      "--json",
      "--top-k",
      "0",
      image,
      PHOTO,
    ]);
    assert.equal(predict.code, 0, predict.stderr);
    const results = JSON.parse(predict.stdout) as {
      file: string;
      model: string;
      predictions: { label: string; score: number; index: number }[];
      timing_ms: Record<string, number>;
    }[];
    assert.ok(Array.isArray(results) && results.length === 2);
    for (const [i, file] of [image, PHOTO].entries()) {
      const r = results[i];
      assert.equal(r.file, file);
      assert.equal(r.model, "model");
      assert.deepEqual(Object.keys(r.timing_ms).sort(), ["decode", "inference", "preprocess"]);
      assert.equal(r.predictions.length, 3);
      assert.deepEqual(r.predictions.map((p) => p.label).sort(), CLASSES);
      const scores = r.predictions.map((p) => p.score);
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a), "sorted by score");
      assert.ok(Math.abs(scores.reduce((a, b) => a + b, 0) - 1) < 1e-5);

      const img = await decodeImage(await Deno.readFile(file));
      const x = chwToHwc(applyPreprocess(preprocess, img), SIZE, SIZE);
      const logits = tf.tidy(() =>
        (model.predict(tf.tensor4d(x, [1, SIZE, SIZE, 3])) as tf.Tensor).dataSync()
      );
      const want = softmax(logits, meta.temperature ?? 1);
      let maxDiff = 0;
      for (const p of r.predictions) {
        assert.equal(p.label, CLASSES[p.index]);
        maxDiff = Math.max(maxDiff, Math.abs(p.score - want[p.index]));
      }
      assert.ok(maxDiff <= 1e-4, `${file}: edge vs tfjs max |dp| ${maxDiff}`);
      console.log(
        `${file.split("/").pop()}: edge vs tfjs max |dp| ${maxDiff.toExponential(2)}, ` +
          `probabilities ${Array.from(want, (p) => p.toFixed(4)).join(" ")}`,
      );
    }
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
