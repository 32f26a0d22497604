/**
 * Model architectures: build, name, freeze.
 *
 * @module
 */
export {
  type Arch,
  ARCHS,
  backboneBlocks,
  buildModel,
  type BuildModelOptions,
  headLayerNames,
} from "./build_model.ts";
export { efficientnetB0 } from "./efficientnet_b0.ts";
export { inBlock, setTrainable, type TrainableSpec } from "./freeze.ts";
export { resnet18 } from "./resnet18.ts";
export { simpleCnn } from "./simple_cnn.ts";
export { FreezableDropout, stochasticDepth } from "./stochastic_depth.ts";
export { TorchBatchNorm, torchBatchNorm } from "./torch_batch_norm.ts";
