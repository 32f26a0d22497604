import { type Image, makeImage } from "../image.ts";
import { checkFactor } from "./check_factor.ts";
import { pilBlend } from "./pil_blend.ts";
import { requireRgb } from "./require_rgb.ts";

/**
 * Scales brightness like `torchvision.transforms.functional.adjust_brightness` on a PIL image
 * (Pillow `ImageEnhance.Brightness`: blend with a black image). 0 gives black, 1 the original,
 * 2 doubles every level (clipped at 255).
 */
export function adjustBrightness(img: Image, factor: number): Image {
  requireRgb(img, "adjustBrightness");
  checkFactor(factor, "brightness factor");
  const black = new Uint8Array(img.data.length);
  return makeImage(img.width, img.height, 3, pilBlend(black, img.data, factor));
}
