import { crop } from "../crop.ts";
import type { Image } from "../image.ts";
import { resize, type ResizeFilter } from "../resize.ts";

/** A rectangle of the input in whole pixels; parts outside the image read as black. */
export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Crops `box` out of the image and resizes it to `width` x `height`, like
 * `torchvision.transforms.functional.resized_crop` on a PIL image (crop, then Pillow resize with
 * antialiasing); a box reaching outside the image is padded with black, as PIL does.
 * Cropping first matters: resampling inside the full image would let the filter read pixels
 * just outside the box.
 */
export function resizedCrop(
  img: Image,
  box: CropBox,
  width: number,
  height: number,
  filter: ResizeFilter = "bilinear",
): Image {
  // crop() pads outside the image with 0 and validates the box, as PIL's Image.crop does.
  return resize(crop(img, box.left, box.top, box.width, box.height), width, height, filter);
}
