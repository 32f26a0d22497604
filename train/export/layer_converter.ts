import type { GraphBuilder } from "./onnx_graph_builder.ts";

/** A tfjs shape: `null` for the batch dimension (or any dimension unknown until run time). */
export type TfShape = (number | null)[];

/**
 * A tfjs tensor as it exists in the ONNX graph.
 *
 * Layout rule, the one invariant every converter keeps: a rank-4 tfjs tensor (NHWC) is held in
 * ONNX as NCHW; tensors of every other rank are held exactly as in tfjs. `shape` is always the
 * tfjs (NHWC) shape, so converters reason in tfjs terms and permute only when emitting.
 */
export interface OnnxValue {
  /** ONNX value name. */
  name: string;
  /** The tfjs shape this value stands for. */
  shape: TfShape;
}

/** A float32 weight of the layer being converted, in tfjs layout. */
export interface LayerWeight {
  shape: number[];
  data: Float32Array;
}

/** Inference-time BatchNormalization parameters (one value per channel). */
export interface BatchNormParams {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
}

/** Everything a converter needs to emit the ONNX nodes of one layer application. */
export interface ConvertContext {
  graph: GraphBuilder;
  /** The tfjs layer name, used as the base of every value and initializer name it emits. */
  layerName: string;
  /** tfjs class name (`Conv2D`), for error messages and the converter table. */
  className: string;
  /** `layer.getConfig()`. */
  config: Record<string, unknown>;
  inputs: OnnxValue[];
  /** tfjs shapes of the outputs of this application. */
  outputShapes: TfShape[];
  /** Weight by its variable suffix (`kernel`, `bias`, `moving_mean`); undefined if absent. */
  weight(suffix: string): LayerWeight | undefined;
  opset: number;
  /**
   * Set on a Conv2D/DepthwiseConv2D when export folds the BatchNormalization that follows it:
   * the converter must fold these into its kernel and bias (the BN layer then emits nothing).
   */
  foldedBatchNorm?: BatchNormParams;
  /** Throws an Error naming the layer and its class, e.g. for an unsupported option. */
  fail(why: string): never;
}

/** Emits the ONNX nodes for one layer application; returns one value name per output. */
export type LayerConverter = (ctx: ConvertContext) => string[];

/** A required weight, or a failure naming the layer. */
export function requireWeight(ctx: ConvertContext, suffix: string): LayerWeight {
  const w = ctx.weight(suffix);
  if (!w) return ctx.fail(`has no '${suffix}' weight`);
  return w;
}

/** The single input of a one-input layer. */
export function singleInput(ctx: ConvertContext): OnnxValue {
  if (ctx.inputs.length !== 1) ctx.fail(`expects 1 input, got ${ctx.inputs.length}`);
  return ctx.inputs[0];
}

/** The single output shape of a one-output layer. */
export function singleOutputShape(ctx: ConvertContext): TfShape {
  if (ctx.outputShapes.length !== 1) ctx.fail(`expects 1 output, got ${ctx.outputShapes.length}`);
  return ctx.outputShapes[0];
}

/** Fails unless `config.dataFormat` is absent or channelsLast (the only layout we read). */
export function requireChannelsLast(ctx: ConvertContext): void {
  const fmt = ctx.config.dataFormat;
  if (fmt !== undefined && fmt !== null && fmt !== "channelsLast") {
    ctx.fail(`dataFormat '${fmt}' is not supported (only channelsLast)`);
  }
}

/** A [a, b] pair from a number or a 2-array config entry (kernelSize: 3 or [3, 3]). */
export function pair(ctx: ConvertContext, key: string, fallback?: number): [number, number] {
  const v = ctx.config[key] ?? fallback;
  if (typeof v === "number" && Number.isInteger(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x))) {
    return [v[0], v[1]];
  }
  return ctx.fail(`config '${key}' must be an integer or a pair of integers, got ${v}`);
}

/** Static [H, W] of an NHWC shape, failing when unknown (padding needs them). */
export function spatialSize(ctx: ConvertContext, shape: TfShape): [number, number] {
  const [, h, w] = shape;
  if (shape.length !== 4 || typeof h !== "number" || typeof w !== "number") {
    return ctx.fail(`needs a rank-4 input with static height and width, got [${shape}]`);
  }
  return [h, w];
}

/** Product of a shape's static dims after the batch one. */
export function elementsPerSample(ctx: ConvertContext, shape: TfShape): number {
  let n = 1;
  for (const d of shape.slice(1)) {
    if (typeof d !== "number") return ctx.fail(`needs a static shape, got [${shape}]`);
    n *= d;
  }
  return n;
}
