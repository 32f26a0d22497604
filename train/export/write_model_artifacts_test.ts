import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { exportOnnx } from "./export_onnx.ts";
import { testMeta } from "./export_test_support.ts";
import { readModelJson } from "./read_model_json.ts";
import { readOnnxMetadata } from "./read_onnx_metadata.ts";
import { writeModelArtifacts } from "./write_model_artifacts.ts";

await tf.setBackend("cpu");

function tiny(): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 3] });
  const out = tf.layers.dense({ units: 2 }).apply(
    tf.layers.flatten().apply(input),
  ) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

Deno.test("writeModelArtifacts writes model.onnx and a model.json with the same metadata", async () => {
  const dir = await Deno.makeTempDir();
  const model = tiny();
  const meta = testMeta(2, [4, 4]);
  const bytes = exportOnnx(model, meta);
  const out = await writeModelArtifacts(`${dir}/nested/export`, bytes, meta);
  const onDisk = await Deno.readFile(out.onnxPath);
  assert.deepEqual(onDisk, bytes);
  assert.deepEqual(readOnnxMetadata(onDisk), meta);
  assert.deepEqual(await readModelJson(out.jsonPath), meta);
  const json = JSON.parse(await Deno.readTextFile(out.jsonPath));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", onDisk));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(json.onnx.sha256, hex);
  assert.equal(out.onnxSha256, hex);
  assert.equal(json.onnx.opset, 17);
  assert.deepEqual(json.onnx.outputs, [{ name: "logits", dims: ["batch", 2] }]);
  // atomic writes leave no temp files behind
  assert.deepEqual([...Deno.readDirSync(`${dir}/nested/export`)].map((e) => e.name).sort(), [
    "model.json",
    "model.onnx",
  ]);
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeModelArtifacts refuses bytes whose metadata differs from the given one", async () => {
  const dir = await Deno.makeTempDir();
  const model = tiny();
  const meta = testMeta(2, [4, 4]);
  const bytes = exportOnnx(model, meta);
  await assert.rejects(
    () => writeModelArtifacts(dir, bytes, { ...meta, temperature: 2 }),
    /metadata_props do not match/,
  );
  assert.deepEqual([...Deno.readDirSync(dir)], []);
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});
