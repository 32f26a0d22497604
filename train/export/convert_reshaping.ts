import { attrInt, attrInts } from "./onnx_graph_builder.ts";
import {
  type ConvertContext,
  type LayerConverter,
  type OnnxValue,
  requireChannelsLast,
  singleInput,
  singleOutputShape,
  type TfShape,
} from "./layer_converter.ts";

/**
 * True when a rank-4 value's NCHW and NHWC element orders differ, i.e. it has more than one
 * pixel: with H = W = 1 both orders are the channel order and no Transpose is needed.
 */
function needsTranspose(shape: TfShape): boolean {
  return shape.length === 4 && !(shape[1] === 1 && shape[2] === 1);
}

/** `value` in tfjs element order: rank-4 NCHW values are transposed back to NHWC. */
function toTfOrder(ctx: ConvertContext, value: OnnxValue): string {
  if (!needsTranspose(value.shape)) return value.name;
  return ctx.graph.add("Transpose", [value.name], `${ctx.layerName}/to_nhwc`, {
    perm: attrInts([0, 2, 3, 1]),
  });
}

function staticTail(ctx: ConvertContext, shape: TfShape): number[] {
  const tail = shape.slice(1);
  if (!tail.every((d): d is number => typeof d === "number")) {
    return ctx.fail(`needs a static output shape, got [${shape}]`);
  }
  return tail;
}

/**
 * `Flatten`: keeps tfjs's NHWC element order (h, w, c) by transposing NCHW back to NHWC before
 * flattening, so the following Dense kernel is used unchanged whatever consumes the Flatten.
 */
export const convertFlatten: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  requireChannelsLast(ctx);
  if (x.shape.length === 2) return [x.name]; // [N, C] is already flat
  const src = toTfOrder(ctx, x);
  return [ctx.graph.add("Flatten", [src], ctx.layerName, { axis: attrInt(1) })];
};

/**
 * `Reshape`: reshapes in tfjs element order. Rank-4 input/output is transposed out of/into NCHW
 * unless it has a single pixel (the squeeze-excite [N, C] <-> [N, 1, 1, C] case needs none).
 */
export const convertReshape: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  const outShape = singleOutputShape(ctx);
  const tail = staticTail(ctx, outShape);
  const g = ctx.graph;
  const src = toTfOrder(ctx, x);
  if (outShape.length === 4 && !needsTranspose(outShape)) {
    // [N, 1, 1, C] in NCHW is [N, C, 1, 1]: same elements, same order
    const shape = g.addInt64Initializer(`${ctx.layerName}/shape`, [4], [0, tail[2], 1, 1]);
    return [g.add("Reshape", [src, shape], ctx.layerName)];
  }
  // 0 copies the batch dimension from the input
  const shape = g.addInt64Initializer(`${ctx.layerName}/shape`, [outShape.length], [0, ...tail]);
  if (!needsTranspose(outShape)) return [g.add("Reshape", [src, shape], ctx.layerName)];
  const nhwc = g.add("Reshape", [src, shape], `${ctx.layerName}/nhwc`);
  return [g.add("Transpose", [nhwc], ctx.layerName, { perm: attrInts([0, 3, 1, 2]) })];
};

/** `ZeroPadding2D`: Pad with explicit [top, bottom] x [left, right] zeros on H and W. */
export const convertZeroPadding2D: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  requireChannelsLast(ctx);
  if (x.shape.length !== 4) ctx.fail(`needs a rank-4 input, got [${x.shape}]`);
  const p = ctx.config.padding;
  const ok = Array.isArray(p) && p.length === 2 &&
    p.every((q) => Array.isArray(q) && q.length === 2 && q.every((n) => Number.isInteger(n)));
  if (!ok) return ctx.fail(`padding ${JSON.stringify(p)} is not [[top, bottom], [left, right]]`);
  const [[top, bottom], [left, right]] = p as number[][];
  const g = ctx.graph;
  // ONNX pads: all begins, then all ends, in NCHW axis order
  const pads = g.addInt64Initializer(`${ctx.layerName}/pads`, [8], [
    0,
    0,
    top,
    left,
    0,
    0,
    bottom,
    right,
  ]);
  return [g.add("Pad", [x.name, pads], ctx.layerName)];
};
