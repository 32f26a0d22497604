import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { exportOnnx } from "./export_onnx.ts";
import { testMeta } from "./export_test_support.ts";

await tf.setBackend("cpu");

type Sym = tf.SymbolicTensor;
const L = tf.layers;
const ap = (layer: tf.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;
const headOf = (x: Sym, classes = 3) =>
  ap(L.dense({ units: classes }), ap(L.globalAveragePooling2d({}), x));

/** A model input [8, 8, 3] -> body -> logits, built fresh per case. */
function modelWith(body: (x: Sym) => Sym, inputShape = [8, 8, 3]): tf.LayersModel {
  const input = tf.input({ shape: inputShape });
  return tf.model({ inputs: input, outputs: body(input) });
}

// [case, model, metadata overrides, expected message]
const CASES: [string, () => tf.LayersModel, Partial<ReturnType<typeof testMeta>>, RegExp][] = [
  [
    "an unsupported layer class (Conv2DTranspose), by layer name and class",
    () =>
      modelWith((x) =>
        headOf(ap(L.conv2dTranspose({ filters: 2, kernelSize: 3, name: "up1" }), x))
      ),
    {},
    /layer 'up1' \(class Conv2DTranspose\) is not supported by the ONNX exporter/,
  ],
  [
    "SeparableConv2D",
    () =>
      modelWith((x) =>
        headOf(ap(L.separableConv2d({ filters: 2, kernelSize: 3, name: "sep" }), x))
      ),
    {},
    /layer 'sep' \(class SeparableConv2D\) is not supported/,
  ],
  [
    "Permute",
    () => modelWith((x) => headOf(ap(L.permute({ dims: [2, 1, 3], name: "perm" }), x))),
    {},
    /layer 'perm' \(class Permute\) is not supported/,
  ],
  [
    "an unsupported activation option (gelu)",
    () =>
      modelWith((x) =>
        headOf(ap(L.conv2d({ filters: 2, kernelSize: 1, activation: "gelu", name: "c" }), x))
      ),
    {},
    /layer 'c' \(class Conv2D\): activation 'gelu' is not supported/,
  ],
  [
    "channelsFirst data format",
    () =>
      modelWith((x) =>
        headOf(ap(L.maxPooling2d({ poolSize: 2, dataFormat: "channelsFirst", name: "cf" }), x))
      ),
    {},
    /layer 'cf' \(class MaxPooling2D\): dataFormat 'channelsFirst' is not supported/,
  ],
  [
    "Dense applied to a feature map",
    () => modelWith((x) => ap(L.flatten(), ap(L.dense({ units: 3, name: "d4" }), x))),
    { labels: Array.from({ length: 192 }, (_, i) => `c${i}`) },
    /layer 'd4' \(class Dense\): input of rank 4 is not supported/,
  ],
  [
    "BatchNormalization over a non-channel axis",
    () => modelWith((x) => headOf(ap(L.batchNormalization({ axis: 1, name: "bn1" }), x))),
    {},
    /layer 'bn1' \(class BatchNormalization\): axis 1 is not supported/,
  ],
  [
    "a nested model used as a layer",
    () => {
      const inner = tf.sequential({
        name: "inner",
        layers: [L.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 1 })],
      });
      return modelWith((x) => headOf(ap(inner, x)));
    },
    {},
    /layer 'inner' \(class Sequential\) is a nested model/,
  ],
  [
    "a label count different from the output count",
    () => modelWith((x) => headOf(x, 4)),
    {},
    /model outputs 4 classes but the metadata has 3 labels/,
  ],
  [
    "a model that ends in softmax (probabilities, not logits)",
    () => modelWith((x) => ap(L.dense({ units: 3, activation: "softmax" }), ap(L.flatten(), x))),
    {},
    /comes out of a softmax; the ONNX output must be logits/,
  ],
  [
    "metadata inputSize that is not the model's",
    () => modelWith((x) => headOf(x)),
    { inputSize: [16, 16] },
    /metadata inputSize \[16,16\] does not match the model input \[8, 8\]/,
  ],
  [
    "a grayscale input",
    () => modelWith((x) => headOf(x), [8, 8, 1]),
    {},
    /model input must be \[batch, H, W, 3\]/,
  ],
];

for (const [name, build, overrides, message] of CASES) {
  Deno.test(`exportOnnx refuses ${name} with a clear error`, () => {
    const model = build();
    const meta = { ...testMeta(3, [8, 8]), ...overrides };
    assert.throws(() => exportOnnx(model, meta), message);
    model.dispose();
  });
}

Deno.test("exportOnnx refuses opsets outside 13..17", () => {
  const model = modelWith((x) => headOf(x));
  for (const opset of [12, 18, 13.5]) {
    assert.throws(
      () => exportOnnx(model, testMeta(3, [8, 8]), { opset }),
      (err: unknown) => err instanceof RangeError && /opset .* is not supported/.test(err.message),
    );
  }
  model.dispose();
});

Deno.test("exportOnnx refuses models with two inputs", () => {
  const a = tf.input({ shape: [8, 8, 3] });
  const b = tf.input({ shape: [8, 8, 3] });
  const model = tf.model({ inputs: [a, b], outputs: headOf(ap(L.add(), [a, b])) });
  assert.throws(() => exportOnnx(model, testMeta(3, [8, 8])), /has 2 inputs and 1 outputs/);
  model.dispose();
});
