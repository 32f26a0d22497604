import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { metadataToProps, type ModelMetadata } from "../../shared/model_metadata.ts";
import { exportOnnx } from "./export_onnx.ts";
import { onnxCheck, testMeta } from "./export_test_support.ts";
import { readOnnxMetadata, readOnnxMetadataProps, summarizeOnnx } from "./read_onnx_metadata.ts";

await tf.setBackend("cpu");

function tinyModel(classes: number, [h, w]: [number, number]): tf.LayersModel {
  const input = tf.input({ shape: [h, w, 3] });
  const pooled = tf.layers.globalAveragePooling2d({}).apply(input);
  const out = tf.layers.dense({ units: classes }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

// labels that would break naive CSV/JSON handling, non-ASCII, and non-default every other field
const META: ModelMetadata = {
  ...testMeta(4, [6, 5], "simple_cnn"),
  labels: ["cat", 'say "hi", ok', "ünïcødé 猫", "new\nline"],
  metrics: { valTop1: 0.875, valTop5: 1, macroF1: 0.8125, epoch: 12 },
  configSha256: "ab".repeat(32),
  temperature: 1.75,
};

Deno.test("readOnnxMetadata returns exactly the metadata exportOnnx wrote", () => {
  const model = tinyModel(4, [6, 5]);
  const bytes = exportOnnx(model, META);
  assert.deepEqual(readOnnxMetadataProps(bytes), metadataToProps(META));
  assert.deepEqual(readOnnxMetadata(bytes), META);
  model.dispose();
});

Deno.test("readOnnxMetadata agrees with Python onnx's own decoding of metadata_props", async () => {
  const model = tinyModel(4, [6, 5]);
  const dir = await Deno.makeTempDir();
  const path = `${dir}/m.onnx`;
  await Deno.writeFile(path, exportOnnx(model, META));
  const [report] = await onnxCheck([path]);
  await Deno.remove(dir, { recursive: true });
  assert.ok(report.ok, report.error ?? "");
  assert.deepEqual(report.metadata_props, metadataToProps(META));
  assert.equal(report.producer, "edgeclass");
  model.dispose();
});

Deno.test("summarizeOnnx reads opset, IR version and IO dims (int64 fields as numbers)", () => {
  const model = tinyModel(4, [6, 5]);
  for (const [opset, ir] of [[13, 7], [14, 7], [15, 8], [17, 8]]) {
    const s = summarizeOnnx(exportOnnx(model, META, { opset }));
    assert.deepEqual(s, {
      irVersion: ir,
      opset,
      inputs: [{ name: "pixel_values", dims: ["batch", 3, 6, 5] }],
      outputs: [{ name: "logits", dims: ["batch", 4] }],
    });
  }
  model.dispose();
});

Deno.test("readOnnxMetadata names the source on bytes that are not a model", () => {
  assert.throws(
    () => readOnnxMetadataProps(new Uint8Array([0xff, 0xff, 0xff, 0x0f]), "broken.onnx"),
    /broken\.onnx: not a readable ONNX ModelProto/,
  );
});

Deno.test("onnxruntime node and web load the export with the declared input and output", async () => {
  // onnxruntime's JS API exposes IO metadata but not metadata_props (checked: 1.30 has no
  // custom-metadata accessor), so the props themselves are verified above via onnx (Python)
  const model = tinyModel(4, [6, 5]);
  const bytes = exportOnnx(model, META);
  ortWeb.env.wasm.numThreads = 1;
  for (const ort of [ortNode, ortWeb]) {
    const s = await ort.InferenceSession.create(bytes);
    assert.deepEqual(
      s.inputMetadata.map((m) => [m.name, m.isTensor && m.type, m.isTensor && m.shape]),
      [["pixel_values", "float32", ["batch", 3, 6, 5]]],
    );
    assert.deepEqual(
      s.outputMetadata.map((m) => [m.name, m.isTensor && m.type, m.isTensor && m.shape]),
      [["logits", "float32", ["batch", 4]]],
    );
    await s.release();
  }
  model.dispose();
});
