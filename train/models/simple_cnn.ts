/**
 * SimpleCNN: three Conv3x3-BN-ReLU-MaxPool2 blocks (32, 64, 128 channels), then
 * Flatten, Dense(256)-ReLU-Dropout(0.5)-Dense(numClasses).
 *
 * Layer names follow the PyTorch port in scripts/torch_param_counts.py
 * (`features.0` .. `features.11`, `classifier.0` .. `classifier.3`). Convs keep torch's default
 * bias=True. Note Flatten runs over NHWC here and NCHW in torch, so `classifier.0`'s input
 * order differs between the two.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InitSeeds, torchDefaultUniform } from "./torch_init.ts";
import { activation, apply, batchNorm, channels, conv2d, dense, type Sym } from "./torch_layers.ts";

/** Channels of the three conv blocks. */
export const SIMPLE_CNN_CHANNELS = [32, 64, 128] as const;

/** Layers of the classifier head (everything after `flatten`). */
export const SIMPLE_CNN_HEAD = ["classifier.0", "classifier.1", "classifier.2", "classifier.3"];

/** Each conv block's layer names, first block first. */
export const SIMPLE_CNN_BLOCKS: string[][] = SIMPLE_CNN_CHANNELS.map((_, b) =>
  [0, 1, 2, 3].map((i) => `features.${4 * b + i}`)
);

/**
 * Builds SimpleCNN for NHWC input [N, inputSize, inputSize, 3].
 * @param inputSize at least 8 (three 2x2 max-pools)
 */
export function simpleCnn(numClasses: number, inputSize: number, seed?: number): tf.LayersModel {
  if (inputSize < 8) throw new RangeError(`simple_cnn needs inputSize >= 8, got ${inputSize}`);
  const seeds = new InitSeeds(seed);
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: "pixel_values" });
  let x: Sym = input;
  SIMPLE_CNN_CHANNELS.forEach((filters, b) => {
    const [conv, bn, relu, pool] = SIMPLE_CNN_BLOCKS[b];
    x = conv2d(
      x,
      { name: conv, filters, kernel: 3, padding: 1, bias: true, init: "torch_default" },
      seeds,
    );
    x = batchNorm(x, bn, 1e-5);
    x = activation(x, relu, "relu");
    x = apply(tf.layers.maxPooling2d({ name: pool, poolSize: 2, strides: 2 }), x);
  });
  x = apply(tf.layers.flatten({ name: "flatten" }), x);
  const flat = channels(x);
  x = dense(
    x,
    "classifier.0",
    256,
    torchDefaultUniform(flat, seeds),
    torchDefaultUniform(flat, seeds),
  );
  x = activation(x, "classifier.1", "relu");
  x = apply(tf.layers.dropout({ name: "classifier.2", rate: 0.5 }), x);
  x = dense(
    x,
    "classifier.3",
    numClasses,
    torchDefaultUniform(256, seeds),
    torchDefaultUniform(256, seeds),
  );
  return tf.model({ inputs: input, outputs: x, name: "simple_cnn" });
}
