/**
 * ResNet-18 with torchvision 0.14's exact topology (torchvision/models/resnet.py, BasicBlock
 * [2, 2, 2, 2]), NHWC, layers named after torchvision's modules (`conv1`, `bn1`,
 * `layer1.0.conv1`, `layer2.0.downsample.0`, ..., `fc`).
 *
 * Differences from torchvision, all weightless: torch's padding becomes ZeroPadding2D
 * (`<conv>_pad`) + "valid" where TF "same" would pad asymmetrically; the shared `relu` module
 * becomes one Activation per use; the head is Dropout(0.3) (`dropout`) before `fc`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InitSeeds, torchDefaultUniform } from "./torch_init.ts";
import { activation, apply, batchNorm, conv2d, dense, type Sym } from "./torch_layers.ts";

/** torchvision resnet BatchNorm2d defaults. */
const BN_EPS = 1e-5;

/** Stage widths of layer1..layer4. */
const WIDTHS = [64, 128, 256, 512] as const;

/** Head layers (trained when the backbone is frozen). */
export const RESNET18_HEAD = ["dropout", "fc"];

/** Backbone blocks, input side first: the stem, then each BasicBlock. */
export const RESNET18_BLOCKS: string[][] = [
  ["conv1", "bn1", "relu", "maxpool"],
  ...WIDTHS.flatMap((_, s) => [0, 1].map((b) => [`layer${s + 1}.${b}`])),
];

/** torchvision BasicBlock: conv3x3-bn-relu-conv3x3-bn, + identity or downsample, relu. */
function basicBlock(x: Sym, name: string, planes: number, stride: number, seeds: InitSeeds): Sym {
  const inPlanes = x.shape[3];
  let y = conv2d(x, {
    name: `${name}.conv1`,
    filters: planes,
    kernel: 3,
    stride,
    padding: 1,
    bias: false,
    init: "kaiming_fan_out",
  }, seeds);
  y = batchNorm(y, `${name}.bn1`, BN_EPS);
  y = activation(y, `${name}.relu1`, "relu");
  y = conv2d(y, {
    name: `${name}.conv2`,
    filters: planes,
    kernel: 3,
    padding: 1,
    bias: false,
    init: "kaiming_fan_out",
  }, seeds);
  y = batchNorm(y, `${name}.bn2`, BN_EPS);
  let identity = x;
  if (stride !== 1 || inPlanes !== planes) {
    identity = conv2d(x, {
      name: `${name}.downsample.0`,
      filters: planes,
      kernel: 1,
      stride,
      bias: false,
      init: "kaiming_fan_out",
    }, seeds);
    identity = batchNorm(identity, `${name}.downsample.1`, BN_EPS);
  }
  const sum = apply(tf.layers.add({ name: `${name}.add` }), [y, identity]);
  return activation(sum, `${name}.relu2`, "relu");
}

/**
 * Builds ResNet-18 for NHWC input [N, inputSize, inputSize, 3].
 * @param inputSize at least 32 (five stride-2 stages)
 * @param dropout rate of the Dropout before `fc`
 */
export function resnet18(
  numClasses: number,
  inputSize: number,
  seed?: number,
  dropout = 0.3,
): tf.LayersModel {
  if (inputSize < 32) throw new RangeError(`resnet18 needs inputSize >= 32, got ${inputSize}`);
  const seeds = new InitSeeds(seed);
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: "pixel_values" });
  let x = conv2d(input, {
    name: "conv1",
    filters: 64,
    kernel: 7,
    stride: 2,
    padding: 3,
    bias: false,
    init: "kaiming_fan_out",
  }, seeds);
  x = batchNorm(x, "bn1", BN_EPS);
  x = activation(x, "relu", "relu");
  // MaxPool2d(3, 2, padding=1) pads with -inf; after ReLU every value is >= 0 and each window
  // holds at least one real pixel, so zero padding gives the same maxima.
  x = apply(tf.layers.zeroPadding2d({ name: "maxpool_pad", padding: 1 }), x);
  x = apply(tf.layers.maxPooling2d({ name: "maxpool", poolSize: 3, strides: 2 }), x);
  WIDTHS.forEach((planes, s) => {
    x = basicBlock(x, `layer${s + 1}.0`, planes, s === 0 ? 1 : 2, seeds);
    x = basicBlock(x, `layer${s + 1}.1`, planes, 1, seeds);
  });
  x = apply(tf.layers.globalAveragePooling2d({ name: "avgpool" }), x); // [N, 512]
  x = apply(tf.layers.dropout({ name: "dropout", rate: dropout }), x);
  x = dense(x, "fc", numClasses, torchDefaultUniform(512, seeds), torchDefaultUniform(512, seeds));
  return tf.model({ inputs: input, outputs: x, name: "resnet18" });
}
