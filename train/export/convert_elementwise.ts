import { type LayerConverter, singleInput } from "./layer_converter.ts";

/**
 * Dropout and noise layers: identity at inference, so the output IS the input value (no node).
 */
export const convertInferenceIdentity: LayerConverter = (ctx) => [singleInput(ctx).name];

/** `Rescaling`: x * scale + offset with scalar scale and offset (layout-free). */
export const convertRescaling: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  const { scale, offset = 0 } = ctx.config as { scale?: unknown; offset?: unknown };
  if (typeof scale !== "number" || typeof offset !== "number") {
    return ctx.fail(`only scalar scale/offset are supported, got ${scale}, ${offset}`);
  }
  const g = ctx.graph;
  const s = g.addFloatInitializer(`${ctx.layerName}/scale`, [], new Float32Array([scale]));
  const o = g.addFloatInitializer(`${ctx.layerName}/offset`, [], new Float32Array([offset]));
  const scaled = g.add("Mul", [x.name, s], `${ctx.layerName}/scaled`);
  return [g.add("Add", [scaled, o], ctx.layerName)];
};
