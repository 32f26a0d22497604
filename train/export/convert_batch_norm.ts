import { attrFloat } from "./onnx_graph_builder.ts";
import {
  type BatchNormParams,
  type ConvertContext,
  type LayerConverter,
  singleInput,
} from "./layer_converter.ts";

/**
 * The inference parameters of a `BatchNormalization` layer, failing unless it normalises the
 * last (channel) axis. `scale: false` / `center: false` become gamma 1 / beta 0.
 */
export function batchNormParams(ctx: ConvertContext): BatchNormParams {
  const x = singleInput(ctx);
  const rank = x.shape.length;
  const axis = ctx.config.axis ?? -1;
  if (axis !== -1 && axis !== rank - 1) {
    ctx.fail(`axis ${JSON.stringify(axis)} is not supported (only the channel axis, -1)`);
  }
  // ONNX BatchNormalization normalises axis 1: channels of NCHW, or of [N, C]; not [N, L, C]
  if (rank !== 4 && rank !== 2) ctx.fail(`rank-${rank} input is not supported (2 or 4)`);
  const mean = ctx.weight("moving_mean")?.data;
  const variance = ctx.weight("moving_variance")?.data;
  if (!mean || !variance) return ctx.fail("has no moving_mean/moving_variance weights");
  const channels = mean.length;
  const epsilon = ctx.config.epsilon ?? 1e-3;
  if (typeof epsilon !== "number") return ctx.fail(`epsilon must be a number, got ${epsilon}`);
  return {
    gamma: ctx.weight("gamma")?.data ?? new Float32Array(channels).fill(1),
    beta: ctx.weight("beta")?.data ?? new Float32Array(channels),
    mean,
    variance,
    epsilon,
  };
}

/** `BatchNormalization` (inference): ONNX BatchNormalization with tfjs's epsilon, unchanged. */
export const convertBatchNormalization: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  const bn = batchNormParams(ctx);
  const g = ctx.graph;
  const c = [bn.mean.length];
  const base = ctx.layerName;
  const inputs = [
    x.name,
    g.addFloatInitializer(`${base}/gamma`, c, bn.gamma),
    g.addFloatInitializer(`${base}/beta`, c, bn.beta),
    g.addFloatInitializer(`${base}/moving_mean`, c, bn.mean),
    g.addFloatInitializer(`${base}/moving_variance`, c, bn.variance),
  ];
  return [g.add("BatchNormalization", inputs, base, { epsilon: attrFloat(bn.epsilon) })];
};
