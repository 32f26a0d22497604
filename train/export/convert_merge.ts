import { attrInt } from "./onnx_graph_builder.ts";
import { type ConvertContext, type LayerConverter } from "./layer_converter.ts";

function sameRankInputs(ctx: ConvertContext): string[] {
  if (ctx.inputs.length < 2) ctx.fail(`needs at least 2 inputs, got ${ctx.inputs.length}`);
  const rank = ctx.inputs[0].shape.length;
  // equal ranks make tfjs broadcasting and ONNX broadcasting agree after the NCHW permutation
  if (!ctx.inputs.every((v) => v.shape.length === rank)) {
    ctx.fail(
      `inputs of different ranks are not supported: ${ctx.inputs.map((v) => v.shape.length)}`,
    );
  }
  return ctx.inputs.map((v) => v.name);
}

/** Folds a binary op over the inputs left to right, naming the last result after the layer. */
function chain(ctx: ConvertContext, op: string): string[] {
  const names = sameRankInputs(ctx);
  let acc = names[0];
  for (let i = 1; i < names.length; i++) {
    const base = i === names.length - 1 ? ctx.layerName : `${ctx.layerName}/partial`;
    acc = ctx.graph.add(op, [acc, names[i]], base);
  }
  return [acc];
}

/** `Add` (the residual join): Add, chained for more than two inputs. */
export const convertAdd: LayerConverter = (ctx) => chain(ctx, "Add");
/** `Multiply` (squeeze-excite gating, broadcasting [N,C,1,1] over [N,C,H,W]). */
export const convertMultiply: LayerConverter = (ctx) => chain(ctx, "Mul");
/** `Maximum`. */
export const convertMaximum: LayerConverter = (ctx) => chain(ctx, "Max");
/** `Minimum`. */
export const convertMinimum: LayerConverter = (ctx) => chain(ctx, "Min");
/** `Average`: ONNX Mean. */
export const convertAverage: LayerConverter = (ctx) => [
  ctx.graph.add("Mean", sameRankInputs(ctx), ctx.layerName),
];

/** `Concatenate` along a tfjs axis, mapped to NCHW for rank-4 inputs. */
export const convertConcatenate: LayerConverter = (ctx) => {
  const names = sameRankInputs(ctx);
  const rank = ctx.inputs[0].shape.length;
  const axis = ctx.config.axis ?? -1;
  if (typeof axis !== "number" || !Number.isInteger(axis)) return ctx.fail(`bad axis ${axis}`);
  const tfAxis = axis < 0 ? axis + rank : axis;
  if (tfAxis < 1 || tfAxis >= rank) ctx.fail(`axis ${axis} is not supported`);
  const onnxAxis = rank === 4 ? [0, 2, 3, 1][tfAxis] : tfAxis;
  return [ctx.graph.add("Concat", names, ctx.layerName, { axis: attrInt(onnxAxis) })];
};
