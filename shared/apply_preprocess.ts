/**
 * The evaluation pipeline described by a `PreprocessConfig`.
 * @module
 */
import type { Image } from "./image.ts";
import type { PreprocessConfig } from "./preprocess_config.ts";
import { resize } from "./resize.ts";
import { centerCropOffsets, resizeCrop } from "./resize_crop.ts";
import { shorterSideSize } from "./resize_shorter.ts";
import { toTensor } from "./to_tensor.ts";

/**
 * The resized and cropped RGB image `config` feeds to the model (the steps before `toTensor`):
 * torchvision `CenterCrop(crop)(Resize(size)(img))`, Pillow-exact, padding with `background`.
 */
export function preprocessImage(config: PreprocessConfig, img: Image): Image {
  if (img.channels !== 3) {
    throw new RangeError(`preprocess needs an RGB image, got ${img.channels} channels`);
  }
  const r = config.resize;
  const [width, height] = r.mode === "shorter_side"
    ? shorterSideSize(img.width, img.height, r.size)
    : r.mode === "exact"
    ? [r.size, r.size]
    : [img.width, img.height];
  if (!config.crop) return r.mode === "none" ? img : resize(img, width, height, r.filter);
  // Resize and crop fused: only the kept window is resampled (ImageNet's Resize(256) +
  // CenterCrop(224) computes about half the pixels), with the same bits as resize-then-crop.
  const { width: cw, height: ch } = config.crop;
  const [left, top] = centerCropOffsets(width, height, cw, ch);
  return resizeCrop(img, width, height, r.filter, left, top, cw, ch, config.background);
}

/**
 * The model input for one decoded RGB image: resize per `config.resize.mode`, center crop,
 * then `(x / 255 - mean) / std` as float32 in `config.layout`
 * (`[3, H, W]` for CHW, `[H, W, 3]` for HWC). Equals torchvision's
 * `Normalize(ToTensor(CenterCrop(Resize(img))))`.
 */
export function applyPreprocess(config: PreprocessConfig, img: Image): Float32Array {
  return toTensor(preprocessImage(config, img), {
    mean: config.mean,
    std: config.std,
    layout: config.layout,
  });
}
