/**
 * Functional-API helpers that build tfjs layers from torch module hyper-parameters, so the
 * architecture files read like their torchvision counterparts.
 *
 * Layer names are torchvision module paths; layers torch has no module for get the module path
 * plus a suffix (`conv1_pad`, `layer1.0.add`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { fedByInputOnly, inputConv2d } from "./input_conv2d.ts";
import { torchBatchNorm } from "./torch_batch_norm.ts";
import { type InitSeeds, kaimingNormalFanOut, torchDefaultUniform, zeros } from "./torch_init.ts";

/** A symbolic NHWC tensor of the model being built. */
export type Sym = tf.SymbolicTensor;

/** How conv weights are initialized: torchvision's kaiming fan-out or torch's default. */
export type ConvInit = "kaiming_fan_out" | "torch_default";

/** Applies `layer` to symbolic input(s) and returns its single symbolic output. */
export function apply(layer: tf.layers.Layer, x: Sym | Sym[]): Sym {
  return layer.apply(x) as Sym;
}

/** Channels of an NHWC symbolic tensor. */
export function channels(x: Sym): number {
  const c = x.shape[x.shape.length - 1];
  if (c === null) throw new RangeError(`${x.name}: channel dimension is unknown`);
  return c;
}

/**
 * Torch's symmetric padding. TF "same" pads the extra pixel bottom/right for even totals, so
 * it equals torch only for stride 1 with padding (k - 1) / 2; everything else gets an explicit
 * ZeroPadding2D named `<name>_pad` and a "valid" conv.
 */
function torchPadding(x: Sym, name: string, kernel: number, stride: number, padding: number) {
  if (padding === 0) return { x, padding: "valid" as const };
  if (stride === 1 && 2 * padding === kernel - 1) return { x, padding: "same" as const };
  const padded = apply(tf.layers.zeroPadding2d({ padding, name: `${name}_pad` }), x);
  return { x: padded, padding: "valid" as const };
}

/** Hyper-parameters of a torch nn.Conv2d (groups 1). */
export interface Conv2dSpec {
  name: string;
  filters: number;
  kernel: number;
  stride?: number;
  /** Torch padding on every side. */
  padding?: number;
  bias: boolean;
  init: ConvInit;
}

/** nn.Conv2d(in, filters, kernel, stride, padding, bias) as (ZeroPadding2D +) Conv2D. */
export function conv2d(x: Sym, spec: Conv2dSpec, seeds: InitSeeds): Sym {
  const stride = spec.stride ?? 1;
  const p = torchPadding(x, spec.name, spec.kernel, stride, spec.padding ?? 0);
  const fanIn = channels(x) * spec.kernel * spec.kernel;
  const fanOut = spec.filters * spec.kernel * spec.kernel;
  // A conv fed by the model input only (the stem) never needs its input gradient.
  const make = fedByInputOnly(p.x) ? inputConv2d : tf.layers.conv2d;
  const layer = make({
    name: spec.name,
    filters: spec.filters,
    kernelSize: spec.kernel,
    strides: stride,
    padding: p.padding,
    useBias: spec.bias,
    kernelInitializer: spec.init === "kaiming_fan_out"
      ? kaimingNormalFanOut(fanOut, seeds)
      : torchDefaultUniform(fanIn, seeds),
    biasInitializer: spec.init === "kaiming_fan_out" ? zeros() : torchDefaultUniform(fanIn, seeds),
  });
  return apply(layer, p.x);
}

/** Hyper-parameters of a depthwise nn.Conv2d (groups = in = out channels). */
export interface DepthwiseSpec {
  name: string;
  kernel: number;
  stride: number;
  padding: number;
}

/** nn.Conv2d(c, c, kernel, stride, padding, groups=c, bias=False) as DepthwiseConv2D. */
export function depthwiseConv2d(x: Sym, spec: DepthwiseSpec, seeds: InitSeeds): Sym {
  const p = torchPadding(x, spec.name, spec.kernel, spec.stride, spec.padding);
  // torch computes fan_out of a [C, 1, k, k] weight as C * k * k (it ignores groups).
  const fanOut = channels(x) * spec.kernel * spec.kernel;
  const layer = tf.layers.depthwiseConv2d({
    name: spec.name,
    kernelSize: spec.kernel,
    strides: spec.stride,
    padding: p.padding,
    depthMultiplier: 1,
    useBias: false,
    depthwiseInitializer: kaimingNormalFanOut(fanOut, seeds),
  });
  return apply(layer, p.x);
}

/** nn.BatchNorm2d(eps, momentum) with torch semantics (see TorchBatchNorm). */
export function batchNorm(x: Sym, name: string, eps: number, torchMomentum = 0.1): Sym {
  return apply(torchBatchNorm(name, eps, torchMomentum), x);
}

/** nn.ReLU / nn.SiLU / nn.Sigmoid as an Activation layer. */
export function activation(x: Sym, name: string, fn: "relu" | "swish" | "sigmoid"): Sym {
  return apply(tf.layers.activation({ name, activation: fn }), x);
}

/** nn.Linear(in, units) with the given weight/bias initializers. */
export function dense(
  x: Sym,
  name: string,
  units: number,
  kernelInitializer: ReturnType<typeof tf.initializers.zeros>,
  biasInitializer: ReturnType<typeof tf.initializers.zeros>,
): Sym {
  return apply(
    tf.layers.dense({ name, units, useBias: true, kernelInitializer, biasInitializer }),
    x,
  );
}
