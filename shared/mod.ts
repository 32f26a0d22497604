/**
 * The image contract shared by training, the edge server and browsers.
 * Pure TypeScript over typed arrays: no Deno APIs, no tfjs, no onnxruntime.
 * @module
 */
export * from "./image.ts";
export * from "./image_error.ts";
export * from "./rng.ts";
export * from "./preprocess_config.ts";
export * from "./model_metadata.ts";
export * from "./resize.ts";
export * from "./decode.ts";
export * from "./probe_image.ts";
export * from "./exif_orientation.ts";
export * from "./crop.ts";
export * from "./pad.ts";
export * from "./center_crop.ts";
export * from "./resize_shorter.ts";
export * from "./to_tensor.ts";
export * from "./apply_preprocess.ts";
export * from "./softmax.ts";
export * from "./top_k.ts";
export * from "./labels.ts";
export * from "./augment/mod.ts";
