/**
 * Pillow's `Image.blend(in1, in2, factor)` (libImaging/Blend.c) on raw 8-bit samples, which every
 * `ImageEnhance` class uses: out = in1 + factor * (in2 - in1).
 *
 * Pillow receives `factor` as a C float and does the arithmetic in float32, then truncates to
 * uint8 (clamping only when `factor` is outside [0, 1]); `Math.fround` reproduces each float32
 * rounding step so the result is bit-exact.
 */
export function pilBlend(in1: Uint8Array, in2: Uint8Array, factor: number): Uint8Array {
  if (in1.length !== in2.length) {
    throw new RangeError(`blend inputs differ in size: ${in1.length} vs ${in2.length}`);
  }
  const alpha = Math.fround(factor);
  const out = new Uint8Array(in1.length);
  for (let i = 0; i < in1.length; i++) {
    const a = in1[i];
    const v = Math.fround(a + Math.fround(alpha * (in2[i] - a)));
    // Uint8Array stores truncate toward zero, like the C (UINT8) cast.
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : v;
  }
  return out;
}
