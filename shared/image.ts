/**
 * The image type every side of edgeclass exchanges: 8-bit pixels in HWC order.
 *
 * `data.length === height * width * channels`. Decoders in `shared/` always return
 * `channels === 3` (RGB); 1 and 4 exist for intermediate steps (grayscale, alpha).
 */
export interface Image {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3 | 4;
  /** Pixels, row-major, interleaved channels: index = (y * width + x) * channels + c. */
  readonly data: Uint8Array;
}

/** Builds an `Image`, asserting that the buffer size matches the shape. */
export function makeImage(
  width: number,
  height: number,
  channels: 1 | 3 | 4,
  data?: Uint8Array,
): Image {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  }
  const n = width * height * channels;
  const pixels = data ?? new Uint8Array(n);
  if (pixels.length !== n) {
    throw new RangeError(
      `pixel buffer has ${pixels.length} bytes, expected ${width}x${height}x${channels}=${n}`,
    );
  }
  return { width, height, channels, data: pixels };
}
