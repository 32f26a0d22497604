import { type Image, makeImage } from "../image.ts";
import { checkFactor } from "./check_factor.ts";
import { pilBlend } from "./pil_blend.ts";
import { requireRgb } from "./require_rgb.ts";
import { pilLuma } from "./rgb_to_grayscale.ts";

/**
 * Scales contrast like `torchvision.transforms.functional.adjust_contrast` on a PIL image
 * (Pillow `ImageEnhance.Contrast`: blend with a flat gray image whose level is the mean of the
 * grayscale image, rounded as `int(mean + 0.5)`). 0 gives that flat gray, 1 the original.
 */
export function adjustContrast(img: Image, factor: number): Image {
  requireRgb(img, "adjustContrast");
  checkFactor(factor, "contrast factor");
  const { data } = img;
  // Integer sum: exact, as Pillow's histogram-based ImageStat mean is for any real image size.
  let sum = 0;
  for (let s = 0; s < data.length; s += 3) sum += pilLuma(data[s], data[s + 1], data[s + 2]);
  const mean = Math.floor(sum / (img.width * img.height) + 0.5);
  const gray = new Uint8Array(data.length).fill(mean);
  return makeImage(img.width, img.height, 3, pilBlend(gray, data, factor));
}
