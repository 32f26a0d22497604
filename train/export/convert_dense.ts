import { emitActivation } from "./convert_activation.ts";
import {
  type LayerConverter,
  requireWeight,
  singleInput,
  singleOutputShape,
} from "./layer_converter.ts";

/**
 * `Dense` on a [N, in] input: Gemm(X, W, b) with the tfjs kernel [in, out] used as is
 * (transB = 0), then the fused activation. Dense over rank > 2 (tfjs applies it to the last
 * axis) is refused rather than guessed.
 */
export const convertDense: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  if (x.shape.length !== 2) {
    ctx.fail(`input of rank ${x.shape.length} is not supported (Flatten or pool to [N, C] first)`);
  }
  const k = requireWeight(ctx, "kernel");
  const [cin, cout] = k.shape;
  if (x.shape[1] !== cin) ctx.fail(`kernel [${k.shape}] does not fit input [${x.shape}]`);
  const g = ctx.graph;
  const inputs = [x.name, g.addFloatInitializer(`${ctx.layerName}/kernel`, [cin, cout], k.data)];
  if (ctx.config.useBias ?? true) {
    inputs.push(
      g.addFloatInitializer(`${ctx.layerName}/bias`, [cout], requireWeight(ctx, "bias").data),
    );
  }
  const activation = ctx.config.activation ?? "linear";
  const y = g.add(
    "Gemm",
    inputs,
    activation === "linear" ? ctx.layerName : `${ctx.layerName}/gemm`,
  );
  return [emitActivation(ctx, activation, y, singleOutputShape(ctx))];
};
