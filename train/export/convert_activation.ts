import { attrFloat, attrInt } from "./onnx_graph_builder.ts";
import {
  type ConvertContext,
  type LayerConverter,
  singleInput,
  type TfShape,
} from "./layer_converter.ts";

/** tfjs activation names (`getClassName()` of the activation) this exporter can emit. */
export const SUPPORTED_ACTIVATIONS = [
  "linear",
  "relu",
  "relu6",
  "sigmoid",
  "tanh",
  "swish",
  "elu",
  "selu",
  "softplus",
  "softsign",
  "hardSigmoid",
  "softmax",
] as const;

/** ONNX axis of the last tfjs axis: channels, which sit at axis 1 of an NCHW rank-4 value. */
function lastAxisInOnnx(shape: TfShape): number {
  return shape.length === 4 ? 1 : shape.length - 1;
}

/**
 * Emits tfjs activation `activation` over `input` (a value with tfjs shape `shape`) and returns
 * the output name (`input` itself for linear). Unknown activations fail naming the layer.
 */
export function emitActivation(
  ctx: ConvertContext,
  activation: unknown,
  input: string,
  shape: TfShape,
): string {
  const g = ctx.graph;
  const base = ctx.layerName;
  switch (activation ?? "linear") {
    case "linear":
      return input;
    case "relu":
      return g.add("Relu", [input], base);
    case "relu6":
      return clip(ctx, input, 0, 6);
    case "sigmoid":
      return g.add("Sigmoid", [input], base);
    case "tanh":
      return g.add("Tanh", [input], base);
    case "swish": {
      // tfjs swish is x * sigmoid(x) (alpha 1). ONNX has Swish only from opset 24, so spell it.
      const s = g.add("Sigmoid", [input], `${base}/sigmoid`);
      return g.add("Mul", [input, s], base);
    }
    case "elu":
      return g.add("Elu", [input], base, { alpha: attrFloat(1) });
    case "selu":
      // tfjs uses Keras' constants, which are ONNX's Selu defaults up to float32 rounding
      return g.add("Selu", [input], base, {
        alpha: attrFloat(1.6732632423543772),
        gamma: attrFloat(1.0507009873554805),
      });
    case "softplus":
      return g.add("Softplus", [input], base);
    case "softsign":
      return g.add("Softsign", [input], base);
    case "hardSigmoid":
      // tfjs: clip(0.2 * x + 0.5, 0, 1), which is ONNX HardSigmoid with these alpha/beta
      return g.add("HardSigmoid", [input], base, { alpha: attrFloat(0.2), beta: attrFloat(0.5) });
    case "softmax":
      return g.add("Softmax", [input], base, { axis: attrInt(lastAxisInOnnx(shape)) });
    default:
      return ctx.fail(
        `activation '${activation}' is not supported (supported: ${
          SUPPORTED_ACTIVATIONS.join(", ")
        })`,
      );
  }
}

/** Clip to [lo, hi]; since opset 11 the bounds are inputs, not attributes. */
function clip(ctx: ConvertContext, input: string, lo: number, hi: number): string {
  const g = ctx.graph;
  const min = g.addFloatInitializer(`${ctx.layerName}/clip_min`, [], new Float32Array([lo]));
  const max = g.addFloatInitializer(`${ctx.layerName}/clip_max`, [], new Float32Array([hi]));
  return g.add("Clip", [input, min, max], ctx.layerName);
}

/** `Activation` layer: the activation named in its config. */
export const convertActivation: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  const out = emitActivation(ctx, ctx.config.activation, x.name, x.shape);
  // a linear Activation layer is an alias: no node, same value
  return [out];
};

/** `ReLU` layer: relu, clipped at `maxValue` when set. */
export const convertReLU: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  const max = ctx.config.maxValue;
  if (max === undefined || max === null) return [ctx.graph.add("Relu", [x.name], ctx.layerName)];
  if (typeof max !== "number") return ctx.fail(`maxValue must be a number, got ${max}`);
  return [clip(ctx, x.name, 0, max)];
};

/** `LeakyReLU` layer. */
export const convertLeakyReLU: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  const alpha = ctx.config.alpha ?? 0.3;
  if (typeof alpha !== "number") return ctx.fail(`alpha must be a number, got ${alpha}`);
  return [ctx.graph.add("LeakyRelu", [x.name], ctx.layerName, { alpha: attrFloat(alpha) })];
};

/** `ELU` layer. */
export const convertELU: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  const alpha = ctx.config.alpha ?? 1;
  if (typeof alpha !== "number") return ctx.fail(`alpha must be a number, got ${alpha}`);
  return [ctx.graph.add("Elu", [x.name], ctx.layerName, { alpha: attrFloat(alpha) })];
};

/** `Softmax` layer (single axis). */
export const convertSoftmax: LayerConverter = (ctx) => {
  const x = singleInput(ctx);
  let axis = ctx.config.axis ?? -1;
  if (Array.isArray(axis) && axis.length === 1) axis = axis[0];
  if (typeof axis !== "number" || !Number.isInteger(axis)) {
    return ctx.fail(`softmax over axis ${JSON.stringify(axis)} is not supported (one axis only)`);
  }
  const rank = x.shape.length;
  const tfAxis = axis < 0 ? axis + rank : axis;
  if (tfAxis < 1 || tfAxis >= rank) return ctx.fail(`softmax axis ${axis} is out of range`);
  // NHWC axis -> NCHW axis for rank-4 values; others keep their axis
  const onnxAxis = rank === 4 ? [0, 2, 3, 1][tfAxis] : tfAxis;
  return [ctx.graph.add("Softmax", [x.name], ctx.layerName, { axis: attrInt(onnxAxis) })];
};
