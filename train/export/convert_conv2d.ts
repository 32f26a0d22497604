import { attrInt, attrInts } from "./onnx_graph_builder.ts";
import { emitActivation } from "./convert_activation.ts";
import { conv2dKernelToOihw, depthwiseKernelToOihw } from "./conv_kernel_layout.ts";
import { foldBatchNorm } from "./fold_batch_norm.ts";
import {
  type ConvertContext,
  type LayerConverter,
  pair,
  requireChannelsLast,
  requireWeight,
  singleInput,
  singleOutputShape,
  spatialSize,
} from "./layer_converter.ts";
import { tfPads2d } from "./tf_same_padding.ts";

/** `padding` of a conv or pool config; 'causal' and anything else fail. */
export function tfPadding(ctx: ConvertContext): "same" | "valid" {
  const p = ctx.config.padding ?? "valid";
  if (p !== "same" && p !== "valid") return ctx.fail(`padding '${p}' is not supported`);
  return p;
}

/**
 * Emits one ONNX Conv for a tfjs convolution whose kernel is already [out, in/group, kh, kw],
 * folding a following BatchNormalization if export asked for it, then the fused activation.
 */
function emitConv(
  ctx: ConvertContext,
  weightOihw: Float32Array,
  weightDims: number[],
  group: number,
): string[] {
  const x = singleInput(ctx);
  requireChannelsLast(ctx);
  if (x.shape.length !== 4 || x.shape[3] !== weightDims[1] * group) {
    ctx.fail(`kernel [${weightDims}] (group ${group}) does not fit input [${x.shape}]`);
  }
  const padding = tfPadding(ctx);
  const kernel: [number, number] = [weightDims[2], weightDims[3]];
  const strides = pair(ctx, "strides", 1);
  const dilations = pair(ctx, "dilationRate", 1);
  const pads = tfPads2d(padding, spatialSize(ctx, x.shape), kernel, strides, dilations);
  const outChannels = weightDims[0];

  const useBias = ctx.config.useBias ?? true;
  let bias = useBias ? requireWeight(ctx, "bias").data : undefined;
  let weight = weightOihw;
  if (ctx.foldedBatchNorm) {
    ({ weight, bias } = foldBatchNorm(weight, bias, outChannels, ctx.foldedBatchNorm));
  }
  const g = ctx.graph;
  const inputs = [x.name, g.addFloatInitializer(`${ctx.layerName}/weight`, weightDims, weight)];
  if (bias) inputs.push(g.addFloatInitializer(`${ctx.layerName}/bias`, [outChannels], bias));
  const activation = ctx.config.activation ?? "linear";
  const conv = g.add(
    "Conv",
    inputs,
    activation === "linear" ? ctx.layerName : `${ctx.layerName}/conv`,
    {
      kernel_shape: attrInts(kernel),
      strides: attrInts(strides),
      dilations: attrInts(dilations),
      pads: attrInts(pads),
      group: attrInt(group),
    },
  );
  return [emitActivation(ctx, activation, conv, singleOutputShape(ctx))];
}

/** `Conv2D`: kernel [kh, kw, in, out] -> [out, in, kh, kw]; 'same' padding as explicit pads. */
export const convertConv2D: LayerConverter = (ctx) => {
  const k = requireWeight(ctx, "kernel");
  if (k.shape.length !== 4) ctx.fail(`kernel must be rank 4, got [${k.shape}]`);
  const [kh, kw, cin, cout] = k.shape;
  const groups = ctx.config.groups ?? 1;
  if (groups !== 1) ctx.fail(`groups=${groups} is not supported`);
  return emitConv(ctx, conv2dKernelToOihw(k.data, k.shape), [cout, cin, kh, kw], 1);
};

/** `DepthwiseConv2D`: kernel [kh, kw, in, mult] -> [in * mult, 1, kh, kw] with group = in. */
export const convertDepthwiseConv2D: LayerConverter = (ctx) => {
  const k = requireWeight(ctx, "depthwise_kernel");
  if (k.shape.length !== 4) ctx.fail(`depthwise kernel must be rank 4, got [${k.shape}]`);
  const [kh, kw, cin, mult] = k.shape;
  return emitConv(ctx, depthwiseKernelToOihw(k.data, k.shape), [cin * mult, 1, kh, kw], cin);
};
