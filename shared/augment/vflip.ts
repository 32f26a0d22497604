import { type Image, makeImage } from "../image.ts";

/** Mirrors the image top-bottom (`torchvision.transforms.functional.vflip`); any channel count. */
export function vflip(img: Image): Image {
  const { width, height, channels, data } = img;
  const rowBytes = width * channels;
  const out = new Uint8Array(data.length); // [H, W, C]
  for (let y = 0; y < height; y++) {
    const src = (height - 1 - y) * rowBytes;
    out.set(data.subarray(src, src + rowBytes), y * rowBytes);
  }
  return makeImage(width, height, channels, out);
}
