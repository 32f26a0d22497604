/**
 * SIMD training kernels for the tfjs wasm backend (C sources in csrc/, built by
 * `deno task build:wasm` into .cache/edgeclass_simd*.wasm).
 *
 * - `registerSimdKernels()`: call once after the wasm backend is active (train/backend.ts).
 * - `batchNormTrain()`: training-mode batch norm as one fused, differentiable kernel.
 * - `setSimdPool()` / `SimdPool`: the thread pool behind the big convolutions
 *   (EDGECLASS_SIMD_THREADS=1 turns it off).
 *
 * @module
 */
export { registerSimdKernels, SIMD_KERNEL_NAMES } from "./register_simd_kernels.ts";
export { batchNormTrain } from "./batch_norm_train.ts";
export { defaultThreadCount, setSimdPool, SimdPool } from "./simd_pool.ts";
