import { assert } from "../../shared/assert.ts";

/**
 * A tfjs Conv2D kernel [kh, kw, in, out] as an ONNX Conv weight [out, in, kh, kw] (new array).
 */
export function conv2dKernelToOihw(
  kernelHwio: Float32Array,
  [kh, kw, cin, cout]: number[],
): Float32Array {
  assert(kernelHwio.length === kh * kw * cin * cout, "conv kernel size does not match its shape");
  const out = new Float32Array(kernelHwio.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) {
          out[((o * cin + i) * kh + y) * kw + x] = kernelHwio[((y * kw + x) * cin + i) * cout + o];
        }
      }
    }
  }
  return out;
}

/**
 * A tfjs DepthwiseConv2D kernel [kh, kw, in, mult] as an ONNX grouped Conv weight
 * [in * mult, 1, kh, kw] (group = in). tfjs orders output channels input-major
 * (`out = c * mult + m`), which is exactly ONNX's group order.
 */
export function depthwiseKernelToOihw(
  kernelHwim: Float32Array,
  [kh, kw, cin, mult]: number[],
): Float32Array {
  assert(kernelHwim.length === kh * kw * cin * mult, "depthwise kernel size does not match shape");
  const out = new Float32Array(kernelHwim.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let c = 0; c < cin; c++) {
        for (let m = 0; m < mult; m++) {
          out[((c * mult + m) * kh + y) * kw + x] = kernelHwim[((y * kw + x) * cin + c) * mult + m];
        }
      }
    }
  }
  return out;
}
