import { attrInt, attrInts, type OnnxAttribute } from "./onnx_graph_builder.ts";
import { tfPadding } from "./convert_conv2d.ts";
import {
  type ConvertContext,
  type LayerConverter,
  pair,
  requireChannelsLast,
  singleInput,
  spatialSize,
} from "./layer_converter.ts";
import { tfPads2d } from "./tf_same_padding.ts";

function pool2d(ctx: ConvertContext, op: "MaxPool" | "AveragePool"): string[] {
  const x = singleInput(ctx);
  requireChannelsLast(ctx);
  const padding = tfPadding(ctx);
  const kernel = pair(ctx, "poolSize", 2);
  // tfjs: strides default to poolSize
  const strides = ctx.config.strides == null ? kernel : pair(ctx, "strides");
  const pads = tfPads2d(padding, spatialSize(ctx, x.shape), kernel, strides);
  const attrs: Record<string, OnnxAttribute> = {
    kernel_shape: attrInts(kernel),
    strides: attrInts(strides),
    pads: attrInts(pads),
  };
  // TF 'same' average pooling divides by the number of real pixels in the window, which is
  // count_include_pad=0 (the ONNX default, written out to be explicit); max ignores pads anyway
  if (op === "AveragePool") attrs.count_include_pad = attrInt(0);
  return [ctx.graph.add(op, [x.name], ctx.layerName, attrs)];
}

/** `MaxPooling2D` ('same' | 'valid'). */
export const convertMaxPooling2D: LayerConverter = (ctx) => pool2d(ctx, "MaxPool");

/** `AveragePooling2D` ('same' excludes padding from the mean, as TF does). */
export const convertAveragePooling2D: LayerConverter = (ctx) => pool2d(ctx, "AveragePool");

function globalPool2d(ctx: ConvertContext, op: "GlobalAveragePool" | "GlobalMaxPool"): string[] {
  const x = singleInput(ctx);
  requireChannelsLast(ctx);
  if (x.shape.length !== 4) ctx.fail(`needs a rank-4 input, got [${x.shape}]`);
  // tfjs 4.22 has no keepDims; a config that carries one (a newer tfjs) is refused, not guessed
  if (ctx.config.keepDims) ctx.fail("keepDims is not supported");
  const g = ctx.graph;
  const pooled = g.add(op, [x.name], `${ctx.layerName}/pool`);
  return [g.add("Flatten", [pooled], ctx.layerName, { axis: attrInt(1) })];
}

/** `GlobalAveragePooling2D`: [N, H, W, C] -> [N, C]. */
export const convertGlobalAveragePooling2D: LayerConverter = (ctx) =>
  globalPool2d(ctx, "GlobalAveragePool");

/** `GlobalMaxPooling2D`: [N, H, W, C] -> [N, C]. */
export const convertGlobalMaxPooling2D: LayerConverter = (ctx) =>
  globalPool2d(ctx, "GlobalMaxPool");
