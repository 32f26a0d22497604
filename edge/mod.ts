/**
 * The edge: a Hono app that serves an edgeclass ONNX model with ONNX Runtime.
 * `edge/main.ts` is the server entry (env, files, `Deno.serve`); `edge/predict.ts` the CLI.
 * @module
 */
export { type AppDeps, type AppLimits, createApp, type EdgeApp } from "./app.ts";
export {
  type Classification,
  classifyImages,
  type ClassifyOptions,
  type Prediction,
  predictionsFromLogits,
  type Timing,
} from "./classify_images.ts";
export {
  EDGE_DEFAULTS,
  type EdgeConfig,
  type EngineChoice,
  type ModelSource,
  parseEdgeConfig,
} from "./edge_config.ts";
export {
  EdgeError,
  type EdgeErrorCode,
  errorBody,
  STATUS_OF_CODE,
  toEdgeError,
} from "./edge_error.ts";
export { createEngine, type Engine, type EngineKind } from "./engine.ts";
export { fetchModel } from "./fetch_model.ts";
export { InferenceQueue } from "./inference_queue.ts";
export { type OnnxInfo, readOnnxInfo } from "./onnx_info.ts";
export { DEFAULT_TOP_K, parseThreshold, parseTopK } from "./query_params.ts";
export type { Logger } from "./request_log.ts";
export {
  INPUT_NAME,
  type LoadModelOptions,
  loadServedModel,
  OUTPUT_NAME,
  type ServedModel,
} from "./served_model.ts";
