import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { metadataToProps } from "../../shared/model_metadata.ts";
import { Rng } from "../../shared/rng.ts";
import { saveCheckpoint } from "../checkpoint.ts";
import { DEFAULT_CONFIG, type TrainConfig } from "../config.ts";
import { buildModel } from "../models/build_model.ts";
import {
  maxAbsDiff,
  ortLogits,
  parityTolerance,
  randomizeWeights,
  randomNchw,
  testMeta,
  tfjsLogits,
} from "./export_test_support.ts";
import { readOnnxMetadata } from "./read_onnx_metadata.ts";
import { parseExportArgs, runExport } from "./run_export.ts";
import { saveTfjsModelDir } from "./tfjs_model_dir.ts";

await tf.setBackend("cpu");
const quiet = () => {};

Deno.test("parseExportArgs reads every flag and refuses bad ones naming the flag", () => {
  assert.deepEqual(parseExportArgs(["--run", "runs/a"]), {
    run: "runs/a",
    checkpoint: undefined,
    meta: undefined,
    out: undefined,
    opset: 17,
    foldBatchNorm: false,
    via: "native",
    temperature: undefined,
    help: false,
  });
  const all = parseExportArgs([
    "--checkpoint=c",
    "--meta",
    "m.json",
    "--out",
    "o",
    "--opset",
    "13",
    "--fold-bn",
    "--via",
    "tf2onnx",
    "--temperature",
    "1.5",
  ]);
  assert.deepEqual(
    [all.checkpoint, all.meta, all.out, all.opset, all.foldBatchNorm, all.via, all.temperature],
    ["c", "m.json", "o", 13, true, "tf2onnx", 1.5],
  );
  assert.equal(parseExportArgs(["--help"]).help, true);
  const bad: [string[], RegExp][] = [
    [[], /exactly one of --run <dir> or --checkpoint <dir>/],
    [["--run", "a", "--checkpoint", "b"], /exactly one of --run/],
    [["--run", "a", "--opset", "12"], /--opset must be an integer in 13\.\.17, got '12'/],
    [["--run", "a", "--opset", "x"], /--opset must be an integer/],
    [["--run", "a", "--via", "onnxmltools"], /--via must be native or tf2onnx/],
    [["--run", "a", "--temperature", "0"], /--temperature must be a positive number/],
    [["--run", "a", "--bogus"], /bogus/],
  ];
  for (const [argv, message] of bad) {
    assert.throws(() => parseExportArgs(argv), message, argv.join(" "));
  }
});

/** A run folder as train/trainer.ts leaves it, with a small simple_cnn checkpoint. */
async function fakeRun(): Promise<{ dir: string; model: tf.LayersModel; config: TrainConfig }> {
  const dir = await Deno.makeTempDir({ prefix: "run_export_test_" });
  const config: TrainConfig = { ...DEFAULT_CONFIG, arch: "simple_cnn", imageSize: 16, name: "t" };
  const model = buildModel({ arch: "simple_cnn", numClasses: 3, inputSize: 16, seed: 1 });
  randomizeWeights(model, new Rng(11));
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
  await Deno.writeTextFile(
    join(dir, "metrics.json"),
    JSON.stringify({
      split: "val",
      epoch: 4,
      top1: 0.9,
      top5: null,
      macroF1: 0.85,
      classes: ["a", "b", "c"],
    }),
  );
  await saveCheckpoint(join(dir, "checkpoints", "best"), model, null, {
    epoch: 4,
    rng: [1, 2, 3, 4],
    history: [],
    extra: {},
  });
  return { dir, model, config };
}

Deno.test("runExport --run rebuilds metadata from the run and exports the best checkpoint", async () => {
  const { dir, model } = await fakeRun();
  const out = await runExport(parseExportArgs(["--run", dir]), quiet);
  assert.equal(out.onnxPath, join(dir, "model.onnx"));
  const bytes = await Deno.readFile(out.onnxPath);
  const meta = readOnnxMetadata(bytes);
  const configText = await Deno.readTextFile(join(dir, "config.json"));
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(configText)),
  );
  assert.deepEqual(meta.labels, ["a", "b", "c"]);
  assert.equal(meta.arch, "simple_cnn");
  assert.deepEqual(meta.inputSize, [16, 16]);
  assert.deepEqual(meta.metrics, { valTop1: 0.9, macroF1: 0.85, epoch: 4 });
  assert.equal(
    meta.configSha256,
    Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""),
  );
  assert.deepEqual(meta.preprocess.mean, [0.5, 0.5, 0.5]);
  // the exported weights are the checkpoint's (the randomized ones), not a fresh init
  const x = randomNchw(new Rng(2), 2, 16, 16);
  const want = tfjsLogits(model, x, 2, 16, 16);
  const { diff, scale } = maxAbsDiff(want, (await ortLogits("node", bytes, x, 2, 16, 16)).logits);
  assert.ok(diff <= parityTolerance(scale), `max |diff| ${diff}`);

  // a second export prefers the run's model.json (now present) and records a new temperature
  await runExport(parseExportArgs(["--run", dir, "--temperature", "1.5", "--opset", "13"]), quiet);
  const again = readOnnxMetadata(await Deno.readFile(join(dir, "model.onnx")));
  assert.deepEqual(again, { ...meta, temperature: 1.5 });
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("runExport --checkpoint loads a tfjs model folder with --meta", async () => {
  const dir = await Deno.makeTempDir();
  const input = tf.input({ shape: [6, 6, 3] });
  const c = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: "same" }).apply(input);
  const out = tf.layers.dense({ units: 2 }).apply(
    tf.layers.flatten().apply(c),
  ) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  randomizeWeights(model, new Rng(1));
  await saveTfjsModelDir(model, join(dir, "tfjs"));
  const meta = testMeta(2, [6, 6]);
  await Deno.writeTextFile(join(dir, "meta.json"), JSON.stringify(meta));
  const written = await runExport(
    parseExportArgs([
      "--checkpoint",
      join(dir, "tfjs"),
      "--meta",
      join(dir, "meta.json"),
      "--out",
      join(dir, "x"),
    ]),
    quiet,
  );
  const bytes = await Deno.readFile(written.onnxPath);
  assert.deepEqual(readOnnxMetadata(bytes), meta);
  const x = randomNchw(new Rng(2), 1, 6, 6);
  const { diff } = maxAbsDiff(
    tfjsLogits(model, x, 1, 6, 6),
    (await ortLogits("node", bytes, x, 1, 6, 6)).logits,
  );
  assert.ok(diff <= 1e-4, `max |diff| ${diff}`);
  // without --meta and outside a run folder there is no metadata to embed
  await assert.rejects(
    () => runExport(parseExportArgs(["--checkpoint", join(dir, "tfjs")]), quiet),
    /no run folder around it .* pass --meta <model\.json>/,
  );
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("runExport names the folder when there is no checkpoint in it", async () => {
  const dir = await Deno.makeTempDir();
  const meta = testMeta(2, [6, 6]);
  await Deno.writeTextFile(join(dir, "meta.json"), JSON.stringify(metadataToProps(meta)));
  await assert.rejects(
    () =>
      runExport(parseExportArgs(["--checkpoint", dir, "--meta", join(dir, "meta.json")]), quiet),
    /metadata key 'edgeclass.labels' is missing|must be a non-empty string array/,
  );
  await Deno.writeTextFile(join(dir, "meta.json"), JSON.stringify(meta));
  await assert.rejects(
    () =>
      runExport(parseExportArgs(["--checkpoint", dir, "--meta", join(dir, "meta.json")]), quiet),
    /neither checkpoint\.bin nor a tfjs model\.json is there/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno task export --via tf2onnx fails at once with an install hint when the tools are absent", async () => {
  const { dir, model } = await fakeRun();
  model.dispose();
  const emptyPath = await Deno.makeTempDir();
  const script = new URL("../export_main.ts", import.meta.url).pathname;
  const res = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, "--run", dir, "--via", "tf2onnx"],
    env: { PATH: emptyPath },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(res.stderr);
  assert.equal(res.code, 1, stderr);
  assert.match(
    stderr,
    /'tensorflowjs_converter' is not on PATH; install them with: pip install tensorflowjs tf2onnx/,
  );
  // nothing was written
  await assert.rejects(() => Deno.stat(join(dir, "model.onnx")), Deno.errors.NotFound);
  const help = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, "--help"],
    stdout: "piped",
  }).output();
  assert.equal(help.code, 0);
  assert.match(new TextDecoder().decode(help.stdout), /usage: deno task export/);
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(emptyPath, { recursive: true });
});
