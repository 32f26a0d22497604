/**
 * Identity and same-dtype Cast for the tfjs wasm backend that share the input's buffer instead
 * of copying it, as the CPU backend's Identity does.
 *
 * The engine clones (Identity) every tensor it saves for the backward pass, and tf.moments
 * casts float32 to float32; the stock wasm kernels copy each one (a SimpleCNN step made ~40
 * full-activation copies, ~60 ms). Sharing is safe because tfjs tensors are immutable and the
 * wasm backend reference-counts shared buffers (its Reshape already shares them).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The backend calls a sharing kernel needs. */
interface RefCounting {
  incRef(dataId: object): void;
}

function share(backend: unknown, x: tf.TensorInfo): tf.TensorInfo {
  (backend as RefCounting).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** tfjs kernel config: Identity sharing the buffer (strings go to `fallback`). */
export function identityShareConfig(fallback: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.Identity,
    backendName: "wasm",
    setupFunc: fallback.setupFunc,
    kernelFunc: (args) => {
      const { x } = args.inputs as unknown as { x: tf.TensorInfo };
      return x.dtype === "string" ? fallback.kernelFunc(args) : share(args.backend, x);
    },
  };
}

/** tfjs kernel config: Cast that shares the buffer when the dtype does not change. */
export function castShareConfig(fallback: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.Cast,
    backendName: "wasm",
    setupFunc: fallback.setupFunc,
    kernelFunc: (args) => {
      const { x } = args.inputs as unknown as { x: tf.TensorInfo };
      const { dtype } = args.attrs as unknown as tf.CastAttrs;
      return x.dtype === dtype && dtype !== "string"
        ? share(args.backend, x)
        : fallback.kernelFunc(args);
    },
  };
}
