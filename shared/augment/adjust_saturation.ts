import { type Image, makeImage } from "../image.ts";
import { checkFactor } from "./check_factor.ts";
import { pilBlend } from "./pil_blend.ts";
import { requireRgb } from "./require_rgb.ts";
import { rgbToGrayscale } from "./rgb_to_grayscale.ts";

/**
 * Scales saturation like `torchvision.transforms.functional.adjust_saturation` on a PIL image
 * (Pillow `ImageEnhance.Color`: blend with the image's own grayscale version). 0 gives gray,
 * 1 the original, 2 doubles the distance of each channel from the pixel's gray level.
 */
export function adjustSaturation(img: Image, factor: number): Image {
  requireRgb(img, "adjustSaturation");
  checkFactor(factor, "saturation factor");
  const gray = rgbToGrayscale(img, 3);
  return makeImage(img.width, img.height, 3, pilBlend(gray.data, img.data, factor));
}
