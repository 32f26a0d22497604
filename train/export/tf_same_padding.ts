/**
 * TensorFlow's 'same' padding along one spatial axis, as [before, after].
 *
 * TF pads so that `out = ceil(in / stride)`; when the total padding is odd the extra pixel goes
 * AFTER (bottom/right). ONNX's `auto_pad=SAME_UPPER` means the same thing, but explicit pads
 * are unambiguous across runtimes, so the exporter always writes these numbers.
 */
export function tfSamePadding(
  inSize: number,
  kernel: number,
  stride: number,
  dilation = 1,
): [number, number] {
  const effectiveKernel = (kernel - 1) * dilation + 1;
  const outSize = Math.ceil(inSize / stride);
  const total = Math.max((outSize - 1) * stride + effectiveKernel - inSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/**
 * ONNX `pads` ([top, left, bottom, right]) for a 2-D conv or pool over an [H, W] input with TF
 * padding mode `padding` ('valid' pads nothing).
 */
export function tfPads2d(
  padding: "same" | "valid",
  inputHw: [number, number],
  kernel: [number, number],
  strides: [number, number],
  dilation: [number, number] = [1, 1],
): [number, number, number, number] {
  if (padding === "valid") return [0, 0, 0, 0];
  const [top, bottom] = tfSamePadding(inputHw[0], kernel[0], strides[0], dilation[0]);
  const [left, right] = tfSamePadding(inputHw[1], kernel[1], strides[1], dilation[1]);
  return [top, left, bottom, right];
}
