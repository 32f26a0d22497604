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
