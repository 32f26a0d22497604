import type * as tf from "@tensorflow/tfjs";
import { basename, dirname, join } from "node:path";
import { EDGECLASS_VERSION, type ModelMetadata } from "../../shared/model_metadata.ts";
import { defaultPreprocessConfig } from "../../shared/preprocess_config.ts";
import { applyWeights, CHECKPOINT_FILE, readCheckpoint } from "../checkpoint.ts";
import { DEFAULT_CONFIG, loadConfigFile, type TrainConfig } from "../config.ts";
import { buildModel } from "../models/build_model.ts";
import { normalizationFor } from "../trainer.ts";
import { readModelJson } from "./read_model_json.ts";
import { loadTfjsModelDir, TFJS_MODEL_JSON } from "./tfjs_model_dir.ts";
import { MODEL_JSON_FILE } from "./write_model_artifacts.ts";

/** Where a re-export reads its model and metadata from. */
export interface ExportSourceSpec {
  /** A run folder `runs/<name>`: model from `checkpoints/best`. */
  run?: string;
  /** A checkpoint folder: edgeclass `checkpoint.bin`, or a tfjs `model.json` + `weights.bin`. */
  checkpoint?: string;
  /** A metadata JSON (an export's model.json) overriding the run folder's. */
  meta?: string;
}

/** A model ready to export, with where it came from. */
export interface ExportSource {
  model: tf.LayersModel;
  meta: ModelMetadata;
  /** The run folder, when known (the default output folder). */
  runDir: string | null;
  checkpointDir: string;
  /** One line per decision, for the CLI to print. */
  notes: string[];
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves `--run` / `--checkpoint` / `--meta` into a model and its metadata.
 *
 * Layout read (as train/trainer.ts writes it): `runs/<name>/config.json`, `metrics.json`
 * (classes and best-epoch metrics), `model.json` (the last export's metadata, preferred when
 * present), `checkpoints/best/checkpoint.bin`. A `--checkpoint` folder holding a tfjs
 * `model.json` instead is loaded as a tfjs layers model. Errors name the missing file.
 */
export async function loadExportSource(spec: ExportSourceSpec): Promise<ExportSource> {
  if (!spec.run === !spec.checkpoint) {
    throw new TypeError("give exactly one of --run, --checkpoint");
  }
  const checkpointDir = spec.checkpoint ?? join(spec.run!, "checkpoints", "best");
  const parent = dirname(checkpointDir);
  const runDir = spec.run ??
    (basename(parent) === "checkpoints" && await exists(join(dirname(parent), "config.json"))
      ? dirname(parent)
      : null);
  const notes: string[] = [];

  let meta: ModelMetadata;
  if (spec.meta) {
    meta = await readModelJson(spec.meta);
    notes.push(`metadata: ${spec.meta}`);
  } else if (runDir && await exists(join(runDir, MODEL_JSON_FILE))) {
    meta = await readModelJson(join(runDir, MODEL_JSON_FILE));
    notes.push(`metadata: ${join(runDir, MODEL_JSON_FILE)} (previous export)`);
  } else if (runDir) {
    meta = await metadataFromRun(runDir);
    notes.push(`metadata: rebuilt from ${runDir}/config.json and metrics.json`);
  } else {
    throw new Error(
      `${checkpointDir}: no run folder around it (../../config.json); pass --meta <model.json>`,
    );
  }

  let model: tf.LayersModel;
  if (await exists(join(checkpointDir, TFJS_MODEL_JSON))) {
    model = await loadTfjsModelDir(checkpointDir);
    notes.push(`model: tfjs layers model ${join(checkpointDir, TFJS_MODEL_JSON)}`);
  } else if (await exists(join(checkpointDir, CHECKPOINT_FILE))) {
    if (!runDir) {
      throw new Error(`${checkpointDir}: a checkpoint.bin needs its run folder's config.json`);
    }
    const config = await runConfig(runDir);
    model = buildModel({
      arch: config.arch,
      numClasses: meta.labels.length,
      inputSize: config.imageSize,
      freezeBackbone: config.freezeBackbone,
      seed: config.seed,
    });
    applyWeights(await readCheckpoint(checkpointDir), model);
    notes.push(`model: ${config.arch} with weights from ${join(checkpointDir, CHECKPOINT_FILE)}`);
  } else {
    throw new Error(
      `${checkpointDir}: neither ${CHECKPOINT_FILE} nor a tfjs ${TFJS_MODEL_JSON} is there`,
    );
  }
  return { model, meta, runDir, checkpointDir, notes };
}

async function runConfig(runDir: string): Promise<TrainConfig> {
  return { ...DEFAULT_CONFIG, ...(await loadConfigFile(join(runDir, "config.json"))) };
}

/** Metadata as train/trainer.ts builds it at the end of training, from the run's files. */
async function metadataFromRun(runDir: string): Promise<ModelMetadata> {
  const configPath = join(runDir, "config.json");
  const metricsPath = join(runDir, "metrics.json");
  const config = await runConfig(runDir);
  let metrics: Record<string, unknown>;
  try {
    metrics = JSON.parse(await Deno.readTextFile(metricsPath));
  } catch (err) {
    throw new Error(`${metricsPath}: cannot read the run's metrics (${(err as Error).message})`);
  }
  const classes = metrics.classes;
  if (!Array.isArray(classes) || !classes.every((c) => typeof c === "string")) {
    throw new TypeError(`${metricsPath}: field 'classes' must be a string array`);
  }
  const num = (k: string) => (typeof metrics[k] === "number" ? metrics[k] as number : undefined);
  const norm = normalizationFor(config);
  // the trainer hashes the exact config.json text it writes
  const configText = await Deno.readTextFile(configPath);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(configText));
  return {
    labels: classes,
    preprocess: defaultPreprocessConfig(config.imageSize, { mean: norm.mean, std: norm.std }),
    arch: config.arch,
    inputSize: [config.imageSize, config.imageSize],
    metrics: {
      ...(num("top1") !== undefined ? { valTop1: num("top1") } : {}),
      ...(num("top5") !== undefined ? { valTop5: num("top5") } : {}),
      ...(num("macroF1") !== undefined ? { macroF1: num("macroF1") } : {}),
      ...(num("epoch") !== undefined ? { epoch: num("epoch") } : {}),
    },
    configSha256: Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"))
      .join(""),
    edgeclassVersion: EDGECLASS_VERSION,
    temperature: 1,
  };
}
