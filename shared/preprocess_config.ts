/** Resampling filters, named as Pillow names them. */
export type ResizeFilter = "nearest" | "bilinear" | "bicubic";

/**
 * The whole evaluation pipeline as data. It travels inside the exported model
 * (ONNX `metadata_props`, key `preprocess`) and the edge rebuilds the exact input from it.
 *
 * Order: decode (alpha composited on `background`) -> resize -> center crop -> /255 ->
 * (x - mean) / std -> layout.
 */
export interface PreprocessConfig {
  /** Schema version of this object. */
  version: 1;
  resize: {
    /**
     * `shorter_side`: scale so the shorter side equals `size` (torchvision `Resize(int)`).
     * `exact`: scale to `size` x `size`, ignoring the aspect ratio (`Resize((s, s))`).
     * `none`: keep the decoded size.
     */
    mode: "shorter_side" | "exact" | "none";
    size: number;
    filter: ResizeFilter;
  };
  /** Center crop after resizing (torchvision `CenterCrop`), padding with `background` if smaller. */
  crop: { width: number; height: number } | null;
  /** Per-channel mean and std applied after scaling pixels to [0, 1]. */
  mean: [number, number, number];
  std: [number, number, number];
  /** `CHW` for ONNX / PyTorch inputs, `HWC` for tfjs. */
  layout: "CHW" | "HWC";
  /** RGB used under transparent pixels and for padding. */
  background: [number, number, number];
}

/** ImageNet statistics, as used by torchvision's pretrained weights. */
export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

/** The default eval pipeline for a model trained at `size` x `size` pixels. */
export function defaultPreprocessConfig(
  size: number,
  overrides: Partial<PreprocessConfig> = {},
): PreprocessConfig {
  return {
    version: 1,
    resize: { mode: "exact", size, filter: "bilinear" },
    crop: null,
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
    layout: "CHW",
    background: [255, 255, 255],
    ...overrides,
  };
}

/** The [height, width] of the tensor that `config` produces. */
export function preprocessOutputSize(config: PreprocessConfig): [number, number] {
  if (config.crop) return [config.crop.height, config.crop.width];
  if (config.resize.mode === "exact") return [config.resize.size, config.resize.size];
  throw new RangeError(
    "preprocess output size depends on the image: set crop, or resize.mode 'exact'",
  );
}

function isTriple(v: unknown): v is [number, number, number] {
  return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "number" && isFinite(x));
}

/**
 * Checks an untrusted value (a JSON file, model metadata) and returns it typed.
 * Unknown keys are an error, and the message names the field at fault.
 */
export function parsePreprocessConfig(
  value: unknown,
  source = "preprocess config",
): PreprocessConfig {
  const fail = (field: string, why: string): never => {
    throw new TypeError(`${source}: field '${field}' ${why}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("(root)", "must be an object");
  }
  const v = value as Record<string, unknown>;
  const known = ["version", "resize", "crop", "mean", "std", "layout", "background"];
  for (const k of Object.keys(v)) if (!known.includes(k)) fail(k, "is not a known key");
  if (v.version !== 1) fail("version", "must be 1");
  const r = v.resize as Record<string, unknown> | undefined;
  if (typeof r !== "object" || r === null) return fail("resize", "must be an object");
  for (const k of Object.keys(r)) {
    if (!["mode", "size", "filter"].includes(k)) fail(`resize.${k}`, "is not a known key");
  }
  if (!["shorter_side", "exact", "none"].includes(r.mode as string)) {
    fail("resize.mode", "must be shorter_side, exact or none");
  }
  if (!Number.isInteger(r.size) || (r.size as number) < 1 || (r.size as number) > 8192) {
    fail("resize.size", "must be an integer in [1, 8192]");
  }
  if (!["nearest", "bilinear", "bicubic"].includes(r.filter as string)) {
    fail("resize.filter", "must be nearest, bilinear or bicubic");
  }
  if (v.crop !== null) {
    const c = v.crop as Record<string, unknown> | undefined;
    if (typeof c !== "object" || c === null) return fail("crop", "must be null or {width, height}");
    for (const k of Object.keys(c)) {
      if (!["width", "height"].includes(k)) fail(`crop.${k}`, "is not a known key");
    }
    for (const k of ["width", "height"]) {
      if (!Number.isInteger(c[k]) || (c[k] as number) < 1 || (c[k] as number) > 8192) {
        fail(`crop.${k}`, "must be an integer in [1, 8192]");
      }
    }
  }
  if (!isTriple(v.mean)) fail("mean", "must be 3 finite numbers");
  if (!isTriple(v.std) || (v.std as number[]).some((s) => s <= 0)) {
    fail("std", "must be 3 positive numbers");
  }
  if (v.layout !== "CHW" && v.layout !== "HWC") fail("layout", "must be CHW or HWC");
  if (!isTriple(v.background) || (v.background as number[]).some((b) => b < 0 || b > 255)) {
    fail("background", "must be 3 numbers in [0, 255]");
  }
  return structuredClone(v) as unknown as PreprocessConfig;
}
