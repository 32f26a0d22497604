/**
 * EfficientNet-B0 with torchvision 0.14's exact topology (torchvision/models/efficientnet.py,
 * MBConv blocks with squeeze-excitation), NHWC, layers named after torchvision's modules
 * (`features.0.0`, `features.1.0.block.0.0`, `features.2.0.block.2.fc1`, ..., `classifier.1`).
 *
 * Weightless differences from torchvision: symmetric torch padding of the stride-2 convs
 * becomes ZeroPadding2D (`<conv>_pad`) + "valid"; SqueezeExcitation's AdaptiveAvgPool2d is
 * GlobalAveragePooling2D + Reshape to [1, 1, C] (`.avgpool`, `.avgpool_4d`) and its
 * `input * scale` is a Multiply (`.scale`); StochasticDepth("row") is a Dropout with
 * noiseShape [N, 1, 1, 1] (`.stochastic_depth`, identity at inference); the residual sum is
 * `.add`. BatchNorm eps is 1e-5: efficientnet_b0 uses plain nn.BatchNorm2d (only the V2
 * models pass eps=1e-3).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { stochasticDepth } from "./stochastic_depth.ts";
import { InitSeeds, uniformBound, zeros } from "./torch_init.ts";
import {
  activation,
  apply,
  batchNorm,
  channels,
  conv2d,
  dense,
  depthwiseConv2d,
  type Sym,
} from "./torch_layers.ts";

const BN_EPS = 1e-5;

/** One stage of Table 1 (width_mult = depth_mult = 1, so no rounding applies). */
interface StageConfig {
  expandRatio: number;
  kernel: number;
  stride: number;
  inChannels: number;
  outChannels: number;
  layers: number;
}

/** torchvision `_efficientnet_conf("efficientnet_b0", width_mult=1.0, depth_mult=1.0)`. */
export const EFFICIENTNET_B0_STAGES: readonly StageConfig[] = [
  { expandRatio: 1, kernel: 3, stride: 1, inChannels: 32, outChannels: 16, layers: 1 },
  { expandRatio: 6, kernel: 3, stride: 2, inChannels: 16, outChannels: 24, layers: 2 },
  { expandRatio: 6, kernel: 5, stride: 2, inChannels: 24, outChannels: 40, layers: 2 },
  { expandRatio: 6, kernel: 3, stride: 2, inChannels: 40, outChannels: 80, layers: 3 },
  { expandRatio: 6, kernel: 5, stride: 1, inChannels: 80, outChannels: 112, layers: 3 },
  { expandRatio: 6, kernel: 5, stride: 2, inChannels: 112, outChannels: 192, layers: 4 },
  { expandRatio: 6, kernel: 3, stride: 1, inChannels: 192, outChannels: 320, layers: 1 },
];

/** Head layers (trained when the backbone is frozen). */
export const EFFICIENTNET_B0_HEAD = ["classifier.0", "classifier.1"];

/** Backbone blocks, input side first: `features.0` .. `features.8`. */
export const EFFICIENTNET_B0_BLOCKS: string[][] = [...Array(9).keys()].map((
  i,
) => [`features.${i}`]);

/** Conv-BN(-SiLU) as torchvision's Conv2dNormActivation named `<name>.0`, `.1`, `.2`. */
function convNormAct(
  x: Sym,
  name: string,
  filters: number,
  kernel: number,
  stride: number,
  act: boolean,
  seeds: InitSeeds,
): Sym {
  let y = conv2d(x, {
    name: `${name}.0`,
    filters,
    kernel,
    stride,
    padding: (kernel - 1) / 2,
    bias: false,
    init: "kaiming_fan_out",
  }, seeds);
  y = batchNorm(y, `${name}.1`, BN_EPS);
  return act ? activation(y, `${name}.2`, "swish") : y;
}

/** SqueezeExcitation(expanded, squeeze, activation=SiLU): x * sigmoid(fc2(silu(fc1(avg(x))))). */
function squeezeExcitation(x: Sym, name: string, squeeze: number, seeds: InitSeeds): Sym {
  const c = channels(x);
  let s = apply(tf.layers.globalAveragePooling2d({ name: `${name}.avgpool` }), x);
  s = apply(tf.layers.reshape({ name: `${name}.avgpool_4d`, targetShape: [1, 1, c] }), s);
  const fc = (y: Sym, fcName: string, filters: number) =>
    conv2d(y, { name: fcName, filters, kernel: 1, bias: true, init: "kaiming_fan_out" }, seeds);
  s = fc(s, `${name}.fc1`, squeeze);
  s = activation(s, `${name}.activation`, "swish");
  s = fc(s, `${name}.fc2`, c);
  s = activation(s, `${name}.scale_activation`, "sigmoid");
  return apply(tf.layers.multiply({ name: `${name}.scale` }), [x, s]);
}

/** torchvision MBConv: [expand] - depthwise - SE - project, + stochastic depth residual. */
function mbConv(
  x: Sym,
  name: string,
  cfg: StageConfig,
  inChannels: number,
  stride: number,
  dropRate: number,
  seeds: InitSeeds,
): Sym {
  const expanded = inChannels * cfg.expandRatio;
  let y = x;
  let i = 0;
  if (expanded !== inChannels) {
    y = convNormAct(y, `${name}.block.${i++}`, expanded, 1, 1, true, seeds);
  }
  const dw = `${name}.block.${i++}`;
  y = depthwiseConv2d(y, {
    name: `${dw}.0`,
    kernel: cfg.kernel,
    stride,
    padding: (cfg.kernel - 1) / 2,
  }, seeds);
  y = batchNorm(y, `${dw}.1`, BN_EPS);
  y = activation(y, `${dw}.2`, "swish");
  y = squeezeExcitation(y, `${name}.block.${i++}`, Math.max(1, Math.floor(inChannels / 4)), seeds);
  y = convNormAct(y, `${name}.block.${i++}`, cfg.outChannels, 1, 1, false, seeds);
  if (stride !== 1 || inChannels !== cfg.outChannels) return y;
  // StochasticDepth(p, "row"): drop the whole residual branch per sample, scale by 1/(1-p).
  y = apply(stochasticDepth(`${name}.stochastic_depth`, dropRate), y);
  return apply(tf.layers.add({ name: `${name}.add` }), [y, x]);
}

/**
 * Builds EfficientNet-B0 for NHWC input [N, inputSize, inputSize, 3].
 * @param inputSize at least 32 (five stride-2 stages)
 * @param dropout rate of the Dropout before `classifier.1` (torchvision: 0.2; our head: 0.3)
 * @param stochasticDepthProb torchvision's stochastic_depth_prob (0.2), scaled per block
 */
export function efficientnetB0(
  numClasses: number,
  inputSize: number,
  seed?: number,
  dropout = 0.3,
  stochasticDepthProb = 0.2,
): tf.LayersModel {
  if (inputSize < 32) {
    throw new RangeError(`efficientnet_b0 needs inputSize >= 32, got ${inputSize}`);
  }
  const seeds = new InitSeeds(seed);
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: "pixel_values" });
  let x = convNormAct(input, "features.0", 32, 3, 2, true, seeds);
  const totalBlocks = EFFICIENTNET_B0_STAGES.reduce((n, s) => n + s.layers, 0);
  let blockId = 0;
  EFFICIENTNET_B0_STAGES.forEach((cfg, s) => {
    for (let j = 0; j < cfg.layers; j++) {
      const sd = (stochasticDepthProb * blockId) / totalBlocks;
      const inC = j === 0 ? cfg.inChannels : cfg.outChannels;
      x = mbConv(x, `features.${s + 1}.${j}`, cfg, inC, j === 0 ? cfg.stride : 1, sd, seeds);
      blockId++;
    }
  });
  x = convNormAct(x, "features.8", 1280, 1, 1, true, seeds);
  x = apply(tf.layers.globalAveragePooling2d({ name: "avgpool" }), x); // [N, 1280]
  x = apply(tf.layers.dropout({ name: "classifier.0", rate: dropout }), x);
  // torchvision: nn.init.uniform_(linear.weight, -1/sqrt(out), 1/sqrt(out)), bias zeros.
  x = dense(x, "classifier.1", numClasses, uniformBound(1 / Math.sqrt(numClasses), seeds), zeros());
  return tf.model({ inputs: input, outputs: x, name: "efficientnet_b0" });
}
