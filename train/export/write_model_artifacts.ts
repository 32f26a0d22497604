import { isDeepStrictEqual } from "node:util";
import { metadataToProps, type ModelMetadata } from "../../shared/model_metadata.ts";
import { atomicWrite } from "../atomic_write.ts";
import { readOnnxMetadataProps, summarizeOnnx } from "./read_onnx_metadata.ts";

/** File names inside an export folder. */
export const ONNX_FILE = "model.onnx";
export const MODEL_JSON_FILE = "model.json";

/** What `writeModelArtifacts` wrote. */
export interface ModelArtifacts {
  onnxPath: string;
  jsonPath: string;
  /** sha256 (hex) of the .onnx bytes, also recorded in model.json. */
  onnxSha256: string;
}

/**
 * Writes `<dir>/model.onnx` and, beside it, `<dir>/model.json`: the same metadata for humans plus
 * the file's sha256, opset and input/output shapes. Each file is written atomically (temp file,
 * fsync, rename), the .onnx first, so a reader never sees a torn model or a model.json that
 * describes a file not yet in place.
 *
 * The bytes must already carry exactly `meta` in metadata_props (what `exportOnnx` and
 * `setOnnxMetadata` produce): the two files can then never disagree.
 */
export async function writeModelArtifacts(
  dir: string,
  onnxBytes: Uint8Array,
  meta: ModelMetadata,
): Promise<ModelArtifacts> {
  const props = readOnnxMetadataProps(onnxBytes, "onnx bytes to write");
  const wanted = metadataToProps(meta);
  const carried = Object.fromEntries(Object.keys(wanted).map((k) => [k, props[k]]));
  if (!isDeepStrictEqual(carried, wanted)) {
    throw new Error("writeModelArtifacts: the ONNX metadata_props do not match the given metadata");
  }
  const summary = summarizeOnnx(onnxBytes);
  const onnxSha256 = await sha256Hex(onnxBytes);
  const onnxPath = `${dir}/${ONNX_FILE}`;
  const jsonPath = `${dir}/${MODEL_JSON_FILE}`;
  await atomicWrite(onnxPath, onnxBytes);
  const doc = {
    ...meta,
    onnx: {
      file: ONNX_FILE,
      sha256: onnxSha256,
      bytes: onnxBytes.length,
      irVersion: summary.irVersion,
      opset: summary.opset,
      inputs: summary.inputs,
      outputs: summary.outputs,
    },
  };
  await atomicWrite(jsonPath, JSON.stringify(doc, null, 2) + "\n");
  return { onnxPath, jsonPath, onnxSha256 };
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new Uint8Array(bytes));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
