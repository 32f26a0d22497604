import assert from "node:assert/strict";
import { chooseBackend, tf } from "../backend.ts";
import { type Arch, ARCHS, backboneBlocks, buildModel, headLayerNames } from "./build_model.ts";
import { inBlock } from "./freeze.ts";
import { type TorchCounts, torchCounts } from "./torch_reference_test_util.ts";

await chooseBackend("wasm", () => {});

const NUM_CLASSES = 9;
/** Sizes built per arch: odd ones catch TF-"same" vs torch padding differences. */
const SIZES: Record<Arch, number[]> = {
  simple_cnn: [32, 45, 64],
  resnet18: [32, 45, 224],
  efficientnet_b0: [32, 45, 224],
};
const ALL_SIZES = [...new Set(Object.values(SIZES).flat())].sort((a, b) => a - b);

let counts: Promise<TorchCounts> | undefined;
/** One python run for all the count/shape tests of this file. */
function reference(): Promise<TorchCounts> {
  counts ??= torchCounts(NUM_CLASSES, ALL_SIZES);
  return counts;
}

function sizeOf(w: tf.LayerVariable): number {
  return w.read().size;
}

/** torch NCHW leaf output [1, C, H, W] or [1, F] as a tfjs NHWC layer output shape. */
function nhwc(torchShape: number[]): (number | null)[] {
  if (torchShape.length === 4) {
    const [, c, h, w] = torchShape;
    return [null, h, w, c];
  }
  return [null, ...torchShape.slice(1)];
}

/** [null, 1, 1, C] and [null, C] are the same pooled output (torch keeps the 1x1). */
function squeezePooled(shape: (number | null)[]): (number | null)[] {
  return shape.length === 4 && shape[1] === 1 && shape[2] === 1 ? [null, shape[3]] : shape;
}

for (const arch of ARCHS) {
  for (const size of SIZES[arch]) {
    Deno.test(`buildModel ${arch} @${size}: parameter counts equal torch's`, async () => {
      const ref = (await reference())[arch][String(size)];
      const model = buildModel({ arch, numClasses: NUM_CLASSES, inputSize: size, seed: 1 });
      const trainable = model.trainableWeights.reduce((n, w) => n + sizeOf(w), 0);
      // torch keeps BatchNorm running stats as buffers; tfjs as non-trainable weights.
      const nonTrainable = model.nonTrainableWeights.reduce((n, w) => n + sizeOf(w), 0);
      assert.equal(trainable, ref.trainable, "trainable parameters");
      assert.equal(nonTrainable, ref.bn_buffers, "BatchNorm running statistics");
      model.dispose();
    });

    Deno.test(`buildModel ${arch} @${size}: layer output shapes equal torch's modules`, async () => {
      const ref = (await reference())[arch][String(size)];
      const model = buildModel({ arch, numClasses: NUM_CLASSES, inputSize: size });
      const byName = new Map(model.layers.map((l) => [l.name, l]));
      const compared = new Set<string>();
      for (const [name, torchShape] of Object.entries(ref.shapes)) {
        const layer = byName.get(name);
        if (layer === undefined) continue; // e.g. resnet's shared `layer1.0.relu`
        const tfShape = layer.outputShape as (number | null)[];
        assert.deepEqual(squeezePooled(tfShape), squeezePooled(nhwc(torchShape)), name);
        compared.add(name);
      }
      const torchWithWeights = Object.keys(ref.shapes).filter((n) => byName.get(n)?.weights.length);
      const weightLayers = model.layers.filter((l) => l.weights.length > 0).map((l) => l.name);
      assert.deepEqual(weightLayers.filter((n) => !compared.has(n)), [], "unmatched tfjs layers");
      assert.equal(torchWithWeights.length, weightLayers.length);
      assert.deepEqual(model.outputs[0].shape, [null, NUM_CLASSES]);
      model.dispose();
    });
  }

  Deno.test(`headLayerNames/backboneBlocks ${arch}: every weight layer in exactly one`, () => {
    const model = buildModel({ arch, numClasses: NUM_CLASSES, inputSize: 32 });
    const head = headLayerNames(arch);
    const blocks = backboneBlocks(arch);
    for (const layer of model.layers.filter((l) => l.weights.length > 0)) {
      const owners = blocks.filter((b) => inBlock(layer.name, b)).length +
        (head.includes(layer.name) ? 1 : 0);
      assert.equal(owners, 1, `${layer.name} belongs to ${owners} blocks/head`);
    }
    const logits = model.getLayer(head[head.length - 1]);
    assert.equal(logits.getClassName(), "Dense");
    assert.deepEqual(logits.outputShape, [null, NUM_CLASSES]);
    model.dispose();
  });
}

Deno.test("buildModel rejects bad options with a clear error", () => {
  const table: Array<[Parameters<typeof buildModel>[0], RegExp]> = [
    [{ arch: "vgg" as Arch, numClasses: 3, inputSize: 32 }, /unknown arch "vgg"/],
    [{ arch: "resnet18", numClasses: 0, inputSize: 32 }, /numClasses/],
    [{ arch: "simple_cnn", numClasses: 3, inputSize: 4 }, /inputSize >= 8/],
    [{ arch: "simple_cnn", numClasses: 3, inputSize: 31.5 }, /inputSize must be an integer/],
  ];
  for (const [opts, message] of table) assert.throws(() => buildModel(opts), message);
});

Deno.test("buildModel with the same seed gives the same weights, another seed others", () => {
  const weights = (seed: number) => {
    const m = buildModel({ arch: "simple_cnn", numClasses: 3, inputSize: 16, seed });
    const data = m.getWeights().map((w) => Array.from(w.dataSync()));
    m.dispose();
    return data;
  };
  const a = weights(5);
  assert.deepEqual(weights(5), a);
  assert.notDeepEqual(weights(6)[0], a[0]);
});

Deno.test("buildModel layers keep the torchvision names the weight loader relies on", () => {
  const table: Array<[Arch, string[]]> = [
    ["resnet18", ["conv1", "bn1", "layer1.0.conv1", "layer1.0.bn1", "layer2.0.downsample.0", "fc"]],
    [
      "efficientnet_b0",
      [
        "features.0.0",
        "features.1.0.block.0.0",
        "features.2.0.block.2.fc1",
        "features.8.1",
        "classifier.1",
      ],
    ],
    ["simple_cnn", ["features.0", "features.1", "features.8", "classifier.0", "classifier.3"]],
  ];
  for (const [arch, names] of table) {
    const model = buildModel({ arch, numClasses: 4, inputSize: 32 });
    for (const name of names) assert.ok(model.getLayer(name), `${arch}: ${name}`);
    model.dispose();
  }
});
