/**
 * A tfjs LayersModel as a folder on disk, in tfjs's own format (what `tf.io` writes in a browser
 * download or with tfjs-node's `file://`): `model.json` (topology + weights manifest) and
 * `weights.bin`. tfjs's Deno-compatible build has no file IO handler, so these supply one.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { atomicWrite } from "../atomic_write.ts";

/** File names inside a tfjs model folder. */
export const TFJS_MODEL_JSON = "model.json";
export const TFJS_WEIGHTS_BIN = "weights.bin";

/** Writes `model` to `<dir>/model.json` + `<dir>/weights.bin` (atomically, weights first). */
export async function saveTfjsModelDir(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(tf.io.concatenateArrayBuffers(artifacts.weightData ?? []));
      await atomicWrite(`${dir}/${TFJS_WEIGHTS_BIN}`, weights);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON["modelTopology"],
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [TFJS_WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
      };
      await atomicWrite(`${dir}/${TFJS_MODEL_JSON}`, JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

/**
 * Loads the LayersModel in `dir` (model.json + the weight files its manifest lists). A missing
 * or malformed file throws an Error naming it.
 */
export async function loadTfjsModelDir(dir: string): Promise<tf.LayersModel> {
  const jsonPath = `${dir}/${TFJS_MODEL_JSON}`;
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(await Deno.readTextFile(jsonPath));
  } catch (err) {
    throw new Error(`${jsonPath}: cannot read a tfjs model.json (${(err as Error).message})`);
  }
  if (typeof modelJson !== "object" || modelJson === null || !modelJson.modelTopology) {
    throw new Error(`${jsonPath}: not a tfjs layers model (no modelTopology)`);
  }
  if (modelJson.format !== undefined && modelJson.format !== "layers-model") {
    throw new Error(`${jsonPath}: format '${modelJson.format}' is not 'layers-model'`);
  }
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      for (const p of group.paths) {
        if (p.includes("/") || p.includes("\\")) {
          throw new Error(`${jsonPath}: weight path '${p}' must be a plain file name`);
        }
        try {
          const bytes = await Deno.readFile(`${dir}/${p}`);
          buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
        } catch (err) {
          throw new Error(`${dir}/${p}: cannot read weights (${(err as Error).message})`);
        }
      }
    }
    return [tf.io.getWeightSpecs(manifest), tf.io.concatenateArrayBuffers(buffers)];
  });
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    throw new Error(`${jsonPath}: cannot build the model (${(err as Error).message})`);
  }
}
