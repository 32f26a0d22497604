/**
 * Extra tfjs kernels for the wasm backend so that training works and is not dominated by
 * slow gradient kernels. See train/kernels/ for the maths of each.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { batchMatMulConfig } from "./kernels/batch_mat_mul.ts";
import { broadcastTileConfig } from "./kernels/broadcast_tile.ts";
import { conv2dBackpropFilterConfig } from "./kernels/conv2d_backprop_filter.ts";
import { conv2dBackpropInputConfig } from "./kernels/conv2d_backprop_input.ts";
import { depthwiseBackpropFilterConfig } from "./kernels/depthwise_backprop_filter.ts";
import { depthwiseBackpropInputConfig } from "./kernels/depthwise_backprop_input.ts";
import { reduceConfig } from "./kernels/reduce_by_pooling.ts";

/** Kernels added where wasm has none, and kernels replaced where the wasm one is slow. */
export const WASM_KERNEL_NAMES = {
  added: [
    tf.Conv2DBackpropFilter,
    tf.DepthwiseConv2dNativeBackpropFilter,
    tf.DepthwiseConv2dNativeBackpropInput,
  ],
  replaced: [tf.Conv2DBackpropInput, tf.Tile, tf.BatchMatMul, tf.Sum, tf.Mean],
} as const;

let registered = false;

/**
 * Registers our kernels for the "wasm" backend. Idempotent. Call after the wasm backend
 * module is imported (train/backend.ts does both).
 */
export function registerWasmKernels(): void {
  if (registered) return;
  for (
    const config of [
      conv2dBackpropFilterConfig,
      depthwiseBackpropFilterConfig,
      depthwiseBackpropInputConfig,
    ]
  ) {
    if (tf.getKernel(config.kernelName, "wasm") === undefined) tf.registerKernel(config);
  }
  const original = (name: string) => {
    const config = tf.getKernel(name, "wasm");
    if (config === undefined) throw new Error(`wasm backend has no ${name} kernel to wrap`);
    tf.unregisterKernel(name, "wasm");
    return config;
  };
  tf.registerKernel(conv2dBackpropInputConfig(original(tf.Conv2DBackpropInput)));
  tf.registerKernel(broadcastTileConfig(original(tf.Tile)));
  tf.registerKernel(batchMatMulConfig(original(tf.BatchMatMul)));
  tf.registerKernel(reduceConfig(original(tf.Sum)));
  tf.registerKernel(reduceConfig(original(tf.Mean)));
  registered = true;
}
