import { type Image, makeImage } from "../image.ts";

/** A new image with the same shape and a copy of the pixels (for transforms that change nothing). */
export function copyImage(img: Image): Image {
  return makeImage(img.width, img.height, img.channels, img.data.slice());
}
