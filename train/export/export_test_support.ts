/**
 * Shared machinery of the export tests (not a test file itself): random BatchNorm statistics,
 * tfjs vs onnxruntime logits on the same input, and the Python onnx.checker report.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { defaultPreprocessConfig } from "../../shared/preprocess_config.ts";
import { EDGECLASS_VERSION, type ModelMetadata } from "../../shared/model_metadata.ts";
import { Rng } from "../../shared/rng.ts";

/** Metadata for a test model with `numClasses` outputs and an [h, w] input. */
export function testMeta(
  numClasses: number,
  [h, w]: [number, number],
  arch = "test",
): ModelMetadata {
  return {
    labels: Array.from({ length: numClasses }, (_, i) => `class_${i}`),
    preprocess: defaultPreprocessConfig(h, { crop: { width: w, height: h } }),
    arch,
    inputSize: [h, w],
    metrics: { valTop1: 0.5, epoch: 3 },
    configSha256: "0".repeat(64),
    edgeclassVersion: EDGECLASS_VERSION,
    temperature: 1.25,
  };
}

/**
 * Overwrites every weight of `model` with seeded random values, so tests are reproducible and
 * nothing sits at a value that hides a bug: fresh BatchNorm layers have mean 0, variance 1,
 * gamma 1, beta 0 (a wrong epsilon or swapped mean/variance would pass) and fresh biases are 0
 * (a dropped bias would pass). Kernels get N(0, 1/fan_in) so deep nets keep a sane scale;
 * BN variances stay in [0.5, 2]. Returns the number of BatchNormalization layers touched.
 */
export function randomizeWeights(model: tf.LayersModel, rng: Rng): number {
  let batchNorms = 0;
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    if (layer.getClassName() === "BatchNormalization") batchNorms++;
    const fresh = layer.weights.map((variable) => {
      const suffix = variable.originalName.split("/").pop();
      const shape = variable.shape as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      const fanIn = suffix === "depthwise_kernel"
        ? shape[0] * shape[1]
        : shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        switch (suffix) {
          case "gamma":
            v[i] = rng.uniform(0.6, 1.4);
            break;
          case "moving_variance":
            v[i] = rng.uniform(0.5, 2);
            break;
          case "moving_mean":
            v[i] = 0.3 * rng.normal();
            break;
          case "kernel":
          case "depthwise_kernel":
            v[i] = rng.normal() / Math.sqrt(fanIn);
            break;
          default: // bias, beta
            v[i] = 0.2 * rng.normal();
        }
      }
      return tf.tensor(v, shape);
    });
    layer.setWeights(fresh);
    fresh.forEach((t) => t.dispose());
  }
  return batchNorms;
}

/** A random float32 batch in NCHW order, values like normalised pixels. */
export function randomNchw(rng: Rng, n: number, h: number, w: number): Float32Array {
  const x = new Float32Array(n * 3 * h * w);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform(-2, 2);
  return x;
}

/** tfjs logits for an NCHW batch (transposed here to the model's NHWC). */
export function tfjsLogits(
  model: tf.LayersModel,
  xNchw: Float32Array,
  n: number,
  h: number,
  w: number,
): Float32Array {
  return tf.tidy(() => {
    const nhwc = tf.tensor4d(xNchw, [n, 3, h, w]).transpose([0, 2, 3, 1]);
    const y = model.predict(nhwc) as tf.Tensor;
    return Float32Array.from(y.dataSync() as Float32Array);
  });
}

/** Which onnxruntime build runs the model. */
export type OrtFlavor = "node" | "web";

/** Logits from onnxruntime (node native or web wasm) for the exported `bytes`. */
export async function ortLogits(
  flavor: OrtFlavor,
  bytes: Uint8Array,
  xNchw: Float32Array,
  n: number,
  h: number,
  w: number,
): Promise<{ logits: Float32Array; dims: readonly number[] }> {
  if (flavor === "web") ortWeb.env.wasm.numThreads = 1; // no worker threads inside tests
  const ort = flavor === "node" ? ortNode : ortWeb;
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds = { pixel_values: new ort.Tensor("float32", xNchw, [n, 3, h, w]) };
    const out = await session.run(feeds);
    const y = out.logits;
    return { logits: Float32Array.from(y.data as Float32Array), dims: y.dims };
  } finally {
    await session.release();
  }
}

/** Largest |a - b| and the largest |a| (the logit scale the difference is judged against). */
export function maxAbsDiff(a: Float32Array, b: Float32Array): { diff: number; scale: number } {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  return { diff, scale };
}

/**
 * Parity bound: 1e-4 absolute for logits of magnitude <= 1, relative to the largest logit
 * beyond that (float32 summation error grows with the values summed).
 */
export function parityTolerance(scale: number): number {
  return 1e-4 * Math.max(1, scale);
}

/** What scripts/onnx_check.py reports for one file. */
export interface OnnxCheckReport {
  path: string;
  ok: boolean;
  error?: string;
  onnx_version: string;
  ir_version: number;
  opsets: Record<string, number>;
  producer: string;
  inputs: { name: string; elem_type: number; dims: (number | string)[] }[];
  outputs: { name: string; elem_type: number; dims: (number | string)[] }[];
  op_types: string[];
  node_count: number;
  metadata_props: Record<string, string>;
}

const CHECK_SCRIPT = new URL("../../scripts/onnx_check.py", import.meta.url).pathname;

/** Runs onnx.checker.check_model(full_check=True) (Python onnx) over `paths`. */
export async function onnxCheck(paths: string[]): Promise<OnnxCheckReport[]> {
  const { stdout, stderr, code } = await new Deno.Command("/usr/bin/python3", {
    args: [CHECK_SCRIPT, ...paths],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout).trim();
  if (text === "") {
    throw new Error(
      `onnx_check.py printed nothing (exit ${code}): ${new TextDecoder().decode(stderr)}`,
    );
  }
  return text.split("\n").map((line) => JSON.parse(line));
}
