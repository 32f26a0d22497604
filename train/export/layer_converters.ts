import {
  convertActivation,
  convertELU,
  convertLeakyReLU,
  convertReLU,
  convertSoftmax,
} from "./convert_activation.ts";
import { convertBatchNormalization } from "./convert_batch_norm.ts";
import { convertConv2D, convertDepthwiseConv2D } from "./convert_conv2d.ts";
import { convertDense } from "./convert_dense.ts";
import { convertInferenceIdentity, convertRescaling } from "./convert_elementwise.ts";
import {
  convertAdd,
  convertAverage,
  convertConcatenate,
  convertMaximum,
  convertMinimum,
  convertMultiply,
} from "./convert_merge.ts";
import {
  convertAveragePooling2D,
  convertGlobalAveragePooling2D,
  convertGlobalMaxPooling2D,
  convertMaxPooling2D,
} from "./convert_pooling.ts";
import { convertFlatten, convertReshape, convertZeroPadding2D } from "./convert_reshaping.ts";
import type { LayerConverter } from "./layer_converter.ts";

/**
 * tfjs layer class name -> converter. A class missing here is refused at export with its name;
 * nothing falls back to a guess.
 */
export const LAYER_CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  Conv2D: convertConv2D,
  DepthwiseConv2D: convertDepthwiseConv2D,
  BatchNormalization: convertBatchNormalization,
  Dense: convertDense,
  Activation: convertActivation,
  ReLU: convertReLU,
  LeakyReLU: convertLeakyReLU,
  ELU: convertELU,
  Softmax: convertSoftmax,
  MaxPooling2D: convertMaxPooling2D,
  AveragePooling2D: convertAveragePooling2D,
  GlobalAveragePooling2D: convertGlobalAveragePooling2D,
  GlobalMaxPooling2D: convertGlobalMaxPooling2D,
  ZeroPadding2D: convertZeroPadding2D,
  Flatten: convertFlatten,
  Reshape: convertReshape,
  Add: convertAdd,
  Multiply: convertMultiply,
  Maximum: convertMaximum,
  Minimum: convertMinimum,
  Average: convertAverage,
  Concatenate: convertConcatenate,
  Dropout: convertInferenceIdentity,
  SpatialDropout1D: convertInferenceIdentity,
  GaussianNoise: convertInferenceIdentity,
  GaussianDropout: convertInferenceIdentity,
  AlphaDropout: convertInferenceIdentity,
  Rescaling: convertRescaling,
};
