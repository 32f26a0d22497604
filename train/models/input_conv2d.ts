/**
 * A Conv2D layer for a convolution fed by the model input, whose input gradient is never needed.
 *
 * tfjs-layers runs Conv2D as `tf.fused.conv2d`, which keeps fusing while gradients are recorded
 * when the activation is linear, and the fused op's gradient computes dx and dW together,
 * eagerly. For the first convolution that dx (the gradient of the image batch) is thrown away:
 * 10 ms of a 195 ms SimpleCNN step, 33 ms of a ResNet-18 step here. The plain `tf.conv2d` has one
 * lazy gradient per input, and the tape skips inputs that do not depend on a variable, so in
 * training this layer uses the plain op (plus a separate bias add, which rounds the same as the
 * fused one). Inference keeps the fused path. Serialization, weights and the ONNX export see an
 * ordinary Conv2D (same class name, same config and weights).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The fields of tfjs-layers' Conv2D that `call` reads (public in JS, protected in its types). */
interface ConvFields {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: [number, number];
  padding: "valid" | "same";
  dilationRate: [number, number];
  dataFormat: "channelsLast" | "channelsFirst";
  activation: { apply(x: tf.Tensor): tf.Tensor };
}

/** What `tf.layers.conv2d` takes. */
type ConvArgs = Parameters<typeof tf.layers.conv2d>[0];

type LayerClass = new (config: ConvArgs) => tf.layers.Layer;

let inputConvClass: LayerClass | undefined;

/** tfjs-layers does not export its Conv2D class; subclass it through an instance's prototype. */
function inputConv2dClass(): LayerClass {
  if (inputConvClass !== undefined) return inputConvClass;
  const probe = tf.layers.conv2d({ filters: 1, kernelSize: 1 }); // never built: holds no weights
  const Conv2D = Object.getPrototypeOf(probe).constructor as LayerClass;
  inputConvClass = class InputConv2D extends Conv2D {
    override call(
      inputs: tf.Tensor | tf.Tensor[],
      kwargs: { training?: boolean } & Record<string, unknown>,
    ): tf.Tensor | tf.Tensor[] {
      const f = this as unknown as ConvFields;
      if (!kwargs?.training || f.dataFormat !== "channelsLast") return super.call(inputs, kwargs);
      return tf.tidy(() => {
        const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
        let y: tf.Tensor = tf.conv2d(
          x,
          f.kernel.read() as tf.Tensor4D,
          f.strides,
          f.padding,
          "NHWC",
          f.dilationRate,
        );
        if (f.bias !== null) y = tf.add(y, f.bias.read());
        return f.activation.apply(y);
      });
    }
  };
  return inputConvClass;
}

/**
 * Whether `x` depends on no weights: the model input, possibly through weightless layers
 * (ZeroPadding2D). Then no gradient flows back through it.
 */
export function fedByInputOnly(x: tf.SymbolicTensor): boolean {
  for (let t: tf.SymbolicTensor | undefined = x; t !== undefined;) {
    const layer = t.sourceLayer;
    if (layer.getClassName() === "InputLayer") return true;
    if (layer.weights.length > 0 || t.inputs.length !== 1) return false;
    t = t.inputs[0];
  }
  return false;
}

/** `tf.layers.conv2d(config)` that skips its input gradient in training (see the module doc). */
export function inputConv2d(config: ConvArgs): tf.layers.Layer {
  return new (inputConv2dClass())(config);
}
