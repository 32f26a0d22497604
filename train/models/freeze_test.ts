import assert from "node:assert/strict";
import { chooseBackend, tf } from "../backend.ts";
import { type Arch, backboneBlocks, buildModel, headLayerNames } from "./build_model.ts";
import { setTrainable, type TrainableSpec } from "./freeze.ts";
import { torchBatchNorm } from "./torch_batch_norm.ts";

await chooseBackend("wasm", () => {});

/** A BN layer with non-trivial moving statistics, applied to a fresh batch. */
function bnOutputs(layer: tf.layers.Layer): { train: Float32Array; infer: Float32Array } {
  const x = tf.randomNormal([4, 3, 3, 5], 2, 3, "float32", 11);
  layer.apply(x); // build
  layer.setWeights([
    tf.tensor1d([1, 2, 3, 4, 5]),
    tf.tensor1d([0.1, 0.2, 0.3, 0.4, 0.5]),
    tf.tensor1d([-1, 0, 1, 2, 3]),
    tf.tensor1d([0.5, 1, 1.5, 2, 2.5]),
  ]);
  const infer = (layer.apply(x, { training: false }) as tf.Tensor).dataSync() as Float32Array;
  const train = (layer.apply(x, { training: true }) as tf.Tensor).dataSync() as Float32Array;
  return { train, infer };
}

Deno.test("tfjs BatchNormalization ignores trainable=false in training mode (why we subclass)", () => {
  const plain = tf.layers.batchNormalization({ trainable: false });
  const { train, infer } = bnOutputs(plain);
  assert.notDeepEqual(Array.from(train), Array.from(infer));
});

Deno.test("frozen TorchBatchNorm: training mode equals inference mode, statistics untouched", () => {
  const bn = torchBatchNorm("bn", 1e-5);
  bn.trainable = false;
  const { train, infer } = bnOutputs(bn);
  assert.deepEqual(Array.from(train), Array.from(infer));
  const [, , mean, variance] = bn.getWeights();
  assert.deepEqual(Array.from(mean.dataSync()), [-1, 0, 1, 2, 3]);
  assert.deepEqual(Array.from(variance.dataSync()), [0.5, 1, 1.5, 2, 2.5]);
});

Deno.test("trainable TorchBatchNorm: training mode uses batch statistics", () => {
  const { train, infer } = bnOutputs(torchBatchNorm("bn", 1e-5));
  assert.notDeepEqual(Array.from(train), Array.from(infer));
});

/** Sum of trainable parameter sizes. */
function trainableCount(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.read().size, 0);
}

const K = 5;
/** Expected trainable parameters; the head sizes follow from the architectures. */
const specCases: Array<{ arch: Arch; spec: TrainableSpec; trainable: string[]; count?: number }> = [
  { arch: "resnet18", spec: "head", trainable: ["fc"], count: 512 * K + K },
  { arch: "efficientnet_b0", spec: "head", trainable: ["classifier.1"], count: 1280 * K + K },
  {
    arch: "simple_cnn",
    spec: "head",
    trainable: ["classifier.0", "classifier.3"],
    count: 128 * 4 * 4 * 256 + 256 + 256 * K + K,
  },
  {
    arch: "resnet18",
    spec: { lastBlocks: 1 },
    trainable: ["fc", "layer4.1.conv1", "layer4.1.bn1", "layer4.1.conv2", "layer4.1.bn2"],
  },
  {
    arch: "efficientnet_b0",
    spec: { lastBlocks: 2 },
    trainable: ["classifier.1", "features.8.0", "features.8.1", "features.7.0.block.3.1"],
  },
  {
    arch: "simple_cnn",
    spec: { lastBlocks: 1 },
    trainable: ["features.8", "features.9", "classifier.3"],
  },
];

for (const { arch, spec, trainable, count } of specCases) {
  Deno.test(`setTrainable ${arch} ${JSON.stringify(spec)} trains exactly the right layers`, () => {
    const model = buildModel({ arch, numClasses: K, inputSize: 32 });
    const n = setTrainable(model, arch, spec);
    assert.equal(n, trainableCount(model));
    if (count !== undefined) assert.equal(n, count);
    const blocks = backboneBlocks(arch);
    const lastBlocks = spec === "head" ? 0 : spec === "all" ? blocks.length : spec.lastBlocks;
    const trainablePrefixes = [
      ...headLayerNames(arch),
      ...blocks.slice(blocks.length - lastBlocks).flat(),
    ];
    for (const layer of model.layers) {
      const expected = trainablePrefixes.some((p) =>
        layer.name === p || layer.name.startsWith(`${p}.`) || layer.name.startsWith(`${p}_`)
      );
      assert.equal(layer.trainable, expected, layer.name);
    }
    for (const name of trainable) assert.ok(model.getLayer(name).trainable, name);
    // Back to all: every parameter trains again.
    const all = setTrainable(model, arch, "all");
    assert.equal(
      all,
      model.countParams() - model.nonTrainableWeights.reduce((s, w) => s + w.read().size, 0),
    );
    model.dispose();
  });
}

Deno.test("setTrainable lastBlocks beyond the block count trains everything", () => {
  const model = buildModel({ arch: "resnet18", numClasses: K, inputSize: 32 });
  const all = setTrainable(model, "resnet18", "all");
  assert.equal(setTrainable(model, "resnet18", { lastBlocks: 99 }), all);
  assert.throws(() => setTrainable(model, "resnet18", { lastBlocks: -1 }), /lastBlocks/);
  model.dispose();
});

for (const arch of ["simple_cnn", "resnet18", "efficientnet_b0"] as const) {
  Deno.test(`buildModel ${arch} freezeBackbone: training-mode backbone output equals inference`, () => {
    const model = buildModel({ arch, numClasses: K, inputSize: 32, freezeBackbone: true, seed: 3 });
    // Give the BNs non-trivial statistics so batch vs moving statistics would differ.
    for (const layer of model.layers.filter((l) => l.getClassName() === "BatchNormalization")) {
      const [g, b, m, v] = layer.getWeights();
      layer.setWeights([g, b, tf.add(m, 0.3), tf.mul(v, 2)]);
    }
    const featureLayer = arch === "simple_cnn" ? "flatten" : "avgpool";
    const body = tf.model({ inputs: model.inputs, outputs: model.getLayer(featureLayer).output });
    const x = tf.randomNormal([3, 32, 32, 3], 0, 1, "float32", 4);
    const before = model.nonTrainableWeights.map((w) => Array.from(w.read().dataSync()));
    const infer = (body.apply(x, { training: false }) as tf.Tensor).dataSync();
    const train = (body.apply(x, { training: true }) as tf.Tensor).dataSync();
    assert.deepEqual(Array.from(train), Array.from(infer));
    const after = model.nonTrainableWeights.map((w) => Array.from(w.read().dataSync()));
    assert.deepEqual(after, before, "moving statistics changed while frozen");
    assert.deepEqual(
      model.trainableWeights.map((w) => w.originalName.split("/")[0]).sort(),
      headLayerNames(arch).filter((n) => model.getLayer(n).weights.length > 0).flatMap((
        n,
      ) => [n, n]).sort(),
    );
    model.dispose();
  });
}
