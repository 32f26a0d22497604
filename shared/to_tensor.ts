/**
 * Pixels -> normalized float32 tensor (torchvision `Normalize(mean, std)(ToTensor()(img))`).
 * @module
 */
import type { Image } from "./image.ts";

/** Normalization and memory layout of the tensor. */
export interface TensorOptions {
  /** Per-channel mean subtracted after scaling to [0, 1]; one value per image channel. */
  mean: readonly number[];
  /** Per-channel std divided by; one positive value per image channel. */
  std: readonly number[];
  /** `CHW` ([C, H, W], PyTorch/ONNX) or `HWC` ([H, W, C], tfjs). Default `CHW`. */
  layout?: "CHW" | "HWC";
}

/**
 * `img` as float32 `(x / 255 - mean) / std`, in `layout` order. Every step is rounded to
 * float32 as PyTorch does (`div(255)`, `sub_(mean)`, `div_(std)` on float32 tensors), so the
 * values equal torchvision's bit for bit. Since pixels are bytes, each channel is a 256-entry
 * lookup table.
 */
export function toTensor(img: Image, opts: TensorOptions): Float32Array {
  const ch = img.channels;
  const { mean, std } = opts;
  const layout = opts.layout ?? "CHW";
  if (mean.length !== ch || std.length !== ch) {
    throw new RangeError(`mean and std need ${ch} values, got ${mean.length} and ${std.length}`);
  }
  if (std.some((s) => !(s > 0)) || mean.some((m) => !Number.isFinite(m))) {
    throw new RangeError("std must be positive and mean finite");
  }
  if (layout !== "CHW" && layout !== "HWC") throw new RangeError(`unknown layout ${layout}`);
  const f = Math.fround;
  const tables: Float32Array[] = [];
  for (let c = 0; c < ch; c++) {
    const t = new Float32Array(256);
    const m = f(mean[c]);
    const s = f(std[c]);
    // float32 division and subtraction are exactly double-then-round for float32 operands
    for (let v = 0; v < 256; v++) t[v] = f(f(f(v / 255) - m) / s);
    tables.push(t);
  }
  const n = img.width * img.height;
  const src = img.data;
  const out = new Float32Array(n * ch);
  if (layout === "HWC") {
    for (let i = 0; i < n * ch; i += ch) {
      for (let c = 0; c < ch; c++) out[i + c] = tables[c][src[i + c]];
    }
  } else {
    for (let c = 0; c < ch; c++) {
      const t = tables[c];
      const plane = c * n; // [C, H, W]: channel c occupies out[c*n .. (c+1)*n)
      for (let i = 0, p = c; i < n; i++, p += ch) out[plane + i] = t[src[p]];
    }
  }
  return out;
}
