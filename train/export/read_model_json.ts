import {
  metadataFromProps,
  metadataToProps,
  type ModelMetadata,
} from "../../shared/model_metadata.ts";

/**
 * Reads the metadata from a `model.json` written by `writeModelArtifacts` (or any JSON object
 * with the ModelMetadata fields), checked with the same rules as ONNX metadata_props. Extra keys
 * (the `onnx` block) are ignored; a missing or bad field throws naming the file and field.
 */
export async function readModelJson(path: string): Promise<ModelMetadata> {
  let value: unknown;
  try {
    value = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    throw new Error(`${path}: cannot read model metadata JSON (${(err as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${path}: must be a JSON object`);
  }
  // reuse the metadata_props validation: encode the fields present, then parse them back
  const props = Object.fromEntries(
    Object.entries(metadataToProps(value as ModelMetadata)).filter(([, v]) => v !== undefined),
  );
  return metadataFromProps(props, path);
}
