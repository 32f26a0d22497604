/**
 * ONNX export of tfjs models: the public face of train/export.
 *
 * `exportOnnx` turns a tfjs LayersModel (NHWC) into ONNX bytes (NCHW `pixel_values` ->
 * `logits`, metadata in metadata_props); `writeModelArtifacts` writes them with a model.json
 * beside. The CLI side (`runExport`, used by train/export_main.ts) lives in run_export.ts and is
 * not re-exported here, so importing this module does not pull in the trainer.
 * @module
 */
export {
  DEFAULT_OPSET,
  exportOnnx,
  type ExportOnnxOptions,
  INPUT_NAME,
  MAX_OPSET,
  MIN_OPSET,
  OUTPUT_NAME,
} from "./export_onnx.ts";
export {
  MODEL_JSON_FILE,
  type ModelArtifacts,
  ONNX_FILE,
  writeModelArtifacts,
} from "./write_model_artifacts.ts";
export {
  type OnnxSummary,
  readOnnxMetadata,
  readOnnxMetadataProps,
  summarizeOnnx,
} from "./read_onnx_metadata.ts";
export { readModelJson } from "./read_model_json.ts";
export { adoptForeignOnnx } from "./adopt_foreign_onnx.ts";
export {
  exportViaTf2onnx,
  findTf2onnxTools,
  TF2ONNX_INSTALL_HINT,
  type Tf2onnxTools,
} from "./export_via_tf2onnx.ts";
export { loadTfjsModelDir, saveTfjsModelDir } from "./tfjs_model_dir.ts";
export { SUPPORTED_ACTIVATIONS } from "./convert_activation.ts";
export { LAYER_CONVERTERS } from "./layer_converters.ts";
