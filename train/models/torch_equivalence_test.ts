/**
 * The strongest topology check: torchvision's (and our torch SimpleCNN's) weights copied into
 * the tfjs model by name must reproduce torch's outputs. Covers kernel sizes, strides,
 * symmetric padding (odd input size 45), BN eps, SE wiring, residuals, flatten order, and
 * TorchBatchNorm's training mode (batch statistics and torch's running-stat update).
 */
import assert from "node:assert/strict";
import { chooseBackend, tf } from "../backend.ts";
import type { Arch } from "./build_model.ts";
import { efficientnetB0 } from "./efficientnet_b0.ts";
import { resnet18 } from "./resnet18.ts";
import { simpleCnn } from "./simple_cnn.ts";
import { loadTorchState, torchNameOf, torchReference } from "./torch_reference_test_util.ts";

await chooseBackend("wasm", () => {});

const NUM_CLASSES = 9;
const SIZE = 45;

/** Max |a - b| within rtol of max |b|. */
function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  rtol: number,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) worst = d;
  }
  assert.ok(scale > 0, `${what}: reference is all zeros`);
  assert.ok(worst <= rtol * scale, `${what}: max abs diff ${worst} > ${rtol} * ${scale}`);
}

const cases: Array<{ arch: Arch; build: () => tf.LayersModel; features: string }> = [
  { arch: "simple_cnn", build: () => simpleCnn(NUM_CLASSES, SIZE), features: "flatten" },
  { arch: "resnet18", build: () => resnet18(NUM_CLASSES, SIZE), features: "avgpool" },
  {
    arch: "efficientnet_b0",
    // Stochastic depth off so the train-mode pass is deterministic (torch side too).
    build: () => efficientnetB0(NUM_CLASSES, SIZE, undefined, 0.3, 0),
    features: "avgpool",
  },
];

for (const { arch, build, features } of cases) {
  Deno.test(`${arch} with torch weights reproduces torch (eval, train-mode BN, running stats)`, async () => {
    const ref = await torchReference(arch, NUM_CLASSES, SIZE, 7, 0);
    const model = build();
    loadTorchState(model, ref);
    const input = ref.get("input");
    const x = tf.tensor(input.data, input.shape);

    const logits = model.predict(x) as tf.Tensor;
    assertClose(logits.dataSync(), ref.get("eval_logits").data, "eval logits", 1e-4);

    // Training mode without the (random) dropout head: BatchNorm uses batch statistics.
    const body = tf.model({ inputs: model.inputs, outputs: model.getLayer(features).output });
    const trainOut = body.apply(x, { training: true }) as tf.Tensor;
    assertClose(trainOut.dataSync(), ref.get("train_features").data, "train-mode features", 1e-4);

    let checked = 0;
    for (const layer of model.layers.filter((l) => l.getClassName() === "BatchNormalization")) {
      for (const w of layer.weights.filter((w) => /moving_(mean|variance)$/.test(w.originalName))) {
        const name = torchNameOf(layer.name, w);
        assertClose(w.read().dataSync(), ref.get(`after_train/${name}`).data, name, 1e-4);
        checked++;
      }
    }
    assert.ok(checked > 0);
    tf.dispose([x, logits, trainOut]);
    model.dispose();
  });
}
