/**
 * One entry point for every architecture.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type Arch, ARCHS } from "./arch.ts";
import { efficientnetB0 } from "./efficientnet_b0.ts";
import { setTrainable } from "./freeze.ts";
import { resnet18 } from "./resnet18.ts";
import { simpleCnn } from "./simple_cnn.ts";

export { type Arch, ARCHS, backboneBlocks, headLayerNames } from "./arch.ts";

/** What to build. */
export interface BuildModelOptions {
  arch: Arch;
  numClasses: number;
  /** Height = width of the NHWC input [N, inputSize, inputSize, 3]. */
  inputSize: number;
  /** Train only the head; backbone BatchNorms then use their moving statistics. */
  freezeBackbone?: boolean;
  /** Seeds every weight initializer; omit for random weights. */
  seed?: number;
}

/**
 * Builds a tf.LayersModel with layers named after the torchvision modules (see each
 * architecture file). Input NHWC float32 [N, inputSize, inputSize, 3], output logits
 * [N, numClasses].
 */
export function buildModel(opts: BuildModelOptions): tf.LayersModel {
  const { arch, numClasses, inputSize, seed } = opts;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
  }
  if (!Number.isInteger(inputSize)) {
    throw new RangeError(`inputSize must be an integer, got ${inputSize}`);
  }
  let model: tf.LayersModel;
  switch (arch) {
    case "simple_cnn":
      model = simpleCnn(numClasses, inputSize, seed);
      break;
    case "resnet18":
      model = resnet18(numClasses, inputSize, seed);
      break;
    case "efficientnet_b0":
      model = efficientnetB0(numClasses, inputSize, seed);
      break;
    default:
      throw new TypeError(`unknown arch "${arch}"; expected one of ${ARCHS.join(", ")}`);
  }
  if (opts.freezeBackbone) setTrainable(model, arch, "head");
  return model;
}
