import { type Image, makeImage } from "../image.ts";

/** Mirrors the image left-right (`torchvision.transforms.functional.hflip`); any channel count. */
export function hflip(img: Image): Image {
  const { width, height, channels, data } = img;
  const out = new Uint8Array(data.length); // [H, W, C]
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < width; x++) {
      const src = row + (width - 1 - x) * channels;
      const dst = row + x * channels;
      for (let c = 0; c < channels; c++) out[dst + c] = data[src + c];
    }
  }
  return makeImage(width, height, channels, out);
}
