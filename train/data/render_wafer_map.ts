import { type Image, makeImage } from "../../shared/image.ts";
import { DIE_FAIL, DIE_OUTSIDE, DIE_PASS, type WaferMap } from "./wafer_map.ts";

/**
 * RGB per die state, from the viridis colormap that WM-811K visualisations use:
 * outside the wafer (dark purple), passing die (teal), failing die (yellow).
 */
export const WAFER_COLORS: Record<number, [number, number, number]> = {
  [DIE_OUTSIDE]: [68, 1, 84],
  [DIE_PASS]: [33, 145, 140],
  [DIE_FAIL]: [253, 231, 37],
};

/**
 * Draws a die map as a `size` x `size` RGB image; the die grid fills the image. Each pixel
 * averages `supersample`^2 points, so grids finer than the image blend instead of aliasing.
 */
export function renderWaferMap(map: WaferMap, size: number, supersample = 3): Image {
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`image size ${size} is invalid`);
  const { rows, cols, dies } = map;
  const data = new Uint8Array(size * size * 3);
  const k = supersample;
  const inv = 1 / (k * k);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0;
      for (let sy = 0; sy < k; sy++) {
        const row = Math.floor(((py + (sy + 0.5) / k) / size) * rows);
        for (let sx = 0; sx < k; sx++) {
          const col = Math.floor(((px + (sx + 0.5) / k) / size) * cols);
          const rgb = WAFER_COLORS[dies[row * cols + col]];
          r += rgb[0];
          g += rgb[1];
          b += rgb[2];
        }
      }
      const o = (py * size + px) * 3;
      data[o] = Math.round(r * inv);
      data[o + 1] = Math.round(g * inv);
      data[o + 2] = Math.round(b * inv);
    }
  }
  return makeImage(size, size, 3, data);
}
