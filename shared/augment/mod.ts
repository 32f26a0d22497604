/**
 * Training augmentations: seeded random transforms (`Transform`, `compose`, torchvision-style
 * `randomHorizontalFlip`, `colorJitter`, `randomResizedCrop`, ...) and the deterministic
 * functional ops they use, each matching `torchvision.transforms.functional` 0.14 on PIL images.
 * Pure functions over `Image`; no Deno APIs, so they run in a browser too.
 * @module
 */
export type { Transform } from "./transform.ts";
export { compose } from "./compose.ts";
export { hflip } from "./hflip.ts";
export { vflip } from "./vflip.ts";
export { rotate } from "./rotate.ts";
export { adjustBrightness } from "./adjust_brightness.ts";
export { adjustContrast } from "./adjust_contrast.ts";
export { adjustSaturation } from "./adjust_saturation.ts";
export { adjustHue } from "./adjust_hue.ts";
export { rgbToGrayscale } from "./rgb_to_grayscale.ts";
export { gaussianBlurFixed, gaussianKernel1d } from "./gaussian_blur_fixed.ts";
export { type CropBox, resizedCrop } from "./resized_crop.ts";
export { randomHorizontalFlip } from "./random_horizontal_flip.ts";
export { randomVerticalFlip } from "./random_vertical_flip.ts";
export { randomRotation } from "./random_rotation.ts";
export { randomGrayscale } from "./random_grayscale.ts";
export { gaussianBlur } from "./gaussian_blur.ts";
export {
  applyColorJitter,
  colorJitter,
  type ColorJitterOptions,
  type ColorJitterParams,
  colorJitterParams,
  type ColorJitterSpans,
  colorJitterSpans,
  type JitterRange,
} from "./color_jitter.ts";
export {
  randomResizedCrop,
  randomResizedCropBox,
  type RandomResizedCropOptions,
} from "./random_resized_crop.ts";
