/**
 * Registers the SIMD training kernels (train/simd/, csrc/) for the tfjs "wasm" backend.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ADAMW_UPDATE } from "../adamw_update.ts";
import { adamwSimdConfig } from "./adamw_simd.ts";
import { batchMatMulSimdConfig, fusedMatMulSimdConfig } from "./batch_mat_mul_simd.ts";
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from "./batch_norm_train.ts";
import { batchNormTrainGradSimdConfig, batchNormTrainSimdConfig } from "./batch_norm_train_simd.ts";
import {
  conv2dBackpropFilterSimdConfig,
  conv2dBackpropInputSimdConfig,
  conv2dSimdConfig,
  fusedConv2dSimdConfig,
} from "./conv2d_simd.ts";
import {
  depthwiseBackpropFilterSimdConfig,
  depthwiseBackpropInputSimdConfig,
} from "./depthwise_simd.ts";
import { maxPoolGradSimdConfig } from "./max_pool_grad_simd.ts";
import { compileSimdModule } from "./simd_module.ts";
import { SIMD_MT_WASM_URL } from "./simd_pool.ts";
import { castShareConfig, identityShareConfig } from "./share_data_kernels.ts";
import { meanSimdConfig, sumSimdConfig } from "./sum_leading_simd.ts";

/** Kernels this module replaces (or adds) for the wasm backend. */
export const SIMD_KERNEL_NAMES: readonly string[] = [
  tf.Conv2D,
  tf.FusedConv2D,
  tf.Conv2DBackpropFilter,
  tf.Conv2DBackpropInput,
  tf.MaxPoolGrad,
  tf.DepthwiseConv2dNativeBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropInput,
  tf.Sum,
  tf.Mean,
  tf.BatchMatMul,
  tf._FusedMatMul,
  tf.Identity,
  tf.Cast,
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
  ADAMW_UPDATE,
];

let registered = false;

/** Whether `registerSimdKernels` has run in this process. */
export function simdKernelsRegistered(): boolean {
  return registered;
}

/**
 * Replaces the wasm backend's gradient-side kernels with the SIMD ones, keeping each previous
 * kernel as the fallback for cases the SIMD one does not cover. Idempotent.
 *
 * Call after the wasm backend package is imported and after any other wasm kernel
 * registration (train/wasm_kernels.ts), so that ours are the ones left registered.
 * Compiles the module from .cache/edgeclass_simd.wasm; throws an Error naming
 * `deno task build:wasm` if it has not been built.
 *
 * @returns the kernel names now served by the SIMD module
 */
export function registerSimdKernels(): readonly string[] {
  if (registered) return SIMD_KERNEL_NAMES;
  compileSimdModule(); // fail here, not in the middle of a training step
  compileSimdModule(SIMD_MT_WASM_URL);
  const take = (name: string): tf.KernelConfig | undefined => {
    const config = tf.getKernel(name, "wasm");
    if (config !== undefined) tf.unregisterKernel(name, "wasm");
    return config;
  };
  const required = (name: string): tf.KernelConfig => {
    const config = take(name);
    if (config === undefined) throw new Error(`wasm backend has no ${name} kernel to replace`);
    return config;
  };
  tf.registerKernel(conv2dSimdConfig(required(tf.Conv2D)));
  tf.registerKernel(fusedConv2dSimdConfig(required(tf.FusedConv2D)));
  tf.registerKernel(conv2dBackpropFilterSimdConfig(take(tf.Conv2DBackpropFilter)));
  tf.registerKernel(conv2dBackpropInputSimdConfig(take(tf.Conv2DBackpropInput)));
  tf.registerKernel(maxPoolGradSimdConfig(take(tf.MaxPoolGrad)));
  tf.registerKernel(
    depthwiseBackpropFilterSimdConfig(take(tf.DepthwiseConv2dNativeBackpropFilter)),
  );
  tf.registerKernel(depthwiseBackpropInputSimdConfig(take(tf.DepthwiseConv2dNativeBackpropInput)));
  tf.registerKernel(sumSimdConfig(required(tf.Sum)));
  tf.registerKernel(meanSimdConfig(required(tf.Mean)));
  tf.registerKernel(batchMatMulSimdConfig(required(tf.BatchMatMul)));
  tf.registerKernel(fusedMatMulSimdConfig(required(tf._FusedMatMul)));
  tf.registerKernel(identityShareConfig(required(tf.Identity)));
  tf.registerKernel(castShareConfig(required(tf.Cast)));
  tf.registerKernel(batchNormTrainSimdConfig(take(BATCH_NORM_TRAIN)));
  tf.registerKernel(batchNormTrainGradSimdConfig(take(BATCH_NORM_TRAIN_GRAD)));
  take(ADAMW_UPDATE); // adamwUpdate runs its op chain where no kernel is registered
  tf.registerKernel(adamwSimdConfig());
  registered = true;
  return SIMD_KERNEL_NAMES;
}
