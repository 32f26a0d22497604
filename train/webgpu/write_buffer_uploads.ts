/**
 * Uploads CPU-side tensor values to the GPU with `GPUQueue.writeBuffer` instead of tfjs's
 * mapped buffers.
 *
 * tfjs-backend-webgpu 4.22's `uploadToGPU` writes each CPU tensor (every JS scalar of
 * `tf.mul(x, 0.9)`, dropout masks, labels, ...) through a buffer created `mappedAtCreation`
 * and `getMappedRange`, plus a fresh staging buffer when the pooled buffer is not mapped. Under
 * Deno's wgpu, `getMappedRange` waits for queued GPU work: on an H200 it took ~17.7 ms a call
 * during training (11,018 calls, 195 s), against ~0.02 ms for `writeBuffer`. `writeBuffer` is a
 * queue operation, so the data lands after all work submitted so far and before the next submit.
 *
 * What makes reusing a pooled buffer safe is unchanged: tfjs defers releasing a tensor that a
 * recorded but unsubmitted command reads or writes (`commandQueueOwnedIds` ->
 * `tensorDataPendingDisposal`, released in `submitQueue` after the submit), so a buffer in the
 * pool is never referenced by the pending command encoder and writing it ahead of that encoder
 * cannot change what those commands see.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The parts of tfjs-backend-webgpu 4.22's `WebGPUBackend` this file and its kernels touch. */
export interface WebgpuBackendInternals {
  device: GPUDevice;
  queue: GPUQueue;
  tensorMap: {
    get(dataId: object): WebgpuTensorData;
    has(dataId: object): boolean;
  };
  bufferManager: {
    acquireBuffer(
      size: number,
      usage: number,
      mappedAtCreation?: boolean,
      reuse?: boolean,
    ): GPUBuffer;
    numBytesUsed: number;
    numBytesAllocated: number;
  };
  commandQueueOwnedIds: WeakSet<object>;
  commandEncoder: GPUCommandEncoder | null;
  uploadToGPU(dataId: object): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  disposeData(dataId: object, force?: boolean): boolean;
  runWebGPUProgram(
    program: unknown,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    programDefinedUniform?: { type: string; data: number[] }[],
  ): tf.TensorInfo;
}

/** A `tensorMap` entry of the webgpu backend. */
export interface WebgpuTensorData {
  dtype: tf.DataType;
  shape: number[];
  values: tf.backend_util.BackendValues | null;
  refCount: number;
  resource?: GPUBuffer | GPUTexture | null;
  complexTensorInfos?: unknown;
  external?: boolean;
}

/** Usage of tfjs's tensor buffers (backend_webgpu.js uploadToGPU); also its pool key. */
export function tensorBufferUsage(): number {
  return GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
}

/** The values as the 32-bit words the shaders read: f32 for float32, i32 for int32 and bool. */
function gpuWords(
  dtype: "float32" | "int32" | "bool",
  values: tf.backend_util.BackendValues,
): Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer> {
  const words = dtype === "float32"
    ? (values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>))
    // bool tensors hold a Uint8Array; tfjs widens them to i32 like this (Int32Array.set)
    : (values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>));
  // writeBuffer takes no SharedArrayBuffer views: copy those (tfjs does not make them)
  return words.buffer instanceof ArrayBuffer
    ? words as Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer>
    : words.slice();
}

/**
 * Replaces `backend.uploadToGPU` on this backend instance; returns a function that puts the
 * original back. float32, int32 and bool tensors with CPU values take the writeBuffer path;
 * anything else (no values: an output buffer; other dtypes; a value count that does not match
 * the shape) goes to the original method.
 */
export function installWriteBufferUploads(backend: WebgpuBackendInternals): () => void {
  const own = Object.getOwnPropertyDescriptor(backend, "uploadToGPU");
  const original = backend.uploadToGPU;
  // Work recorded before this point may hold staging copies from the original path into
  // buffers that can return to the pool before their submit; a writeBuffer into such a buffer
  // would be overwritten by that copy. Submitting first leaves no such copy pending.
  if (backend.commandEncoder !== null) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  const usage = tensorBufferUsage();
  backend.uploadToGPU = function (this: WebgpuBackendInternals, dataId: object): void {
    const data = this.tensorMap.get(dataId);
    if (data.resource != null) return; // already on the GPU
    const { dtype, values } = data;
    const count = tf.util.sizeFromShape(data.shape);
    if (
      values == null || count === 0 || values.length !== count ||
      (dtype !== "float32" && dtype !== "int32" && dtype !== "bool")
    ) {
      original.call(this, dataId);
      // The original path may have recorded a staging copy into this tensor's buffer: keep the
      // buffer out of the pool until that copy is submitted, as for any recorded command.
      if (values != null) this.commandQueueOwnedIds.add(dataId);
      return;
    }
    const buffer = this.bufferManager.acquireBuffer(4 * count, usage);
    this.queue.writeBuffer(buffer, 0, gpuWords(dtype, values));
    data.values = null; // once uploaded, tfjs keeps no CPU copy
    data.resource = buffer;
  };
  return () => {
    if (own === undefined) {
      delete (backend as { uploadToGPU?: unknown }).uploadToGPU;
    } else {
      Object.defineProperty(backend, "uploadToGPU", own);
    }
  };
}
