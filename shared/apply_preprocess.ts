/**
 * The evaluation pipeline described by a `PreprocessConfig`.
 * @module
 */
import { centerCrop } from "./center_crop.ts";
import type { Image } from "./image.ts";
import type { PreprocessConfig } from "./preprocess_config.ts";
import { resize } from "./resize.ts";
import { resizeShorter } from "./resize_shorter.ts";
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
  let out = img;
  if (r.mode === "shorter_side") out = resizeShorter(out, r.size, r.filter);
  else if (r.mode === "exact") out = resize(out, r.size, r.size, r.filter);
  if (config.crop) out = centerCrop(out, config.crop.width, config.crop.height, config.background);
  return out;
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
