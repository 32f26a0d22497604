import { parsePreprocessConfig, type PreprocessConfig } from "./preprocess_config.ts";

/** Version of the edgeclass artifact format written into every exported model. */
export const EDGECLASS_VERSION = "0.1.0";

/**
 * What an exported model says about itself. The exporter writes it into ONNX `metadata_props`
 * (one key per field, values JSON-encoded; see `metadataToProps`) and into `model.json`; the edge
 * needs nothing else to serve the model.
 */
export interface ModelMetadata {
  /** Class names, in output order: `logits[i]` is `labels[i]`. */
  labels: string[];
  preprocess: PreprocessConfig;
  /** `simple_cnn`, `resnet18`, `efficientnet_b0`, or another name for foreign models. */
  arch: string;
  /** [height, width] of the model input. */
  inputSize: [number, number];
  /** Validation metrics of the exported checkpoint, when it was trained by us. */
  metrics: { valTop1?: number; valTop5?: number; macroF1?: number; epoch?: number };
  /** sha256 (hex) of the resolved training config JSON, or "" when unknown. */
  configSha256: string;
  /** edgeclass version that wrote the artifact. */
  edgeclassVersion: string;
  /** Softmax temperature from calibration (1 = none). */
  temperature: number;
}

const KEYS = {
  labels: "edgeclass.labels",
  preprocess: "edgeclass.preprocess",
  arch: "edgeclass.arch",
  inputSize: "edgeclass.input_size",
  metrics: "edgeclass.metrics",
  configSha256: "edgeclass.config_sha256",
  edgeclassVersion: "edgeclass.version",
  temperature: "edgeclass.temperature",
} as const satisfies Record<keyof ModelMetadata, string>;

/** The ONNX `metadata_props` entries (key -> JSON string) for `meta`. */
export function metadataToProps(meta: ModelMetadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, key] of Object.entries(KEYS)) {
    out[key] = JSON.stringify(meta[field as keyof ModelMetadata]);
  }
  return out;
}

/**
 * Reads metadata back from ONNX `metadata_props`. Throws a TypeError naming the missing or bad
 * key, so a model without labels or preprocessing fails at load with a clear message.
 */
export function metadataFromProps(props: Record<string, string>, source = "model"): ModelMetadata {
  const get = (key: string): unknown => {
    const raw = props[key];
    if (raw === undefined) throw new TypeError(`${source}: metadata key '${key}' is missing`);
    try {
      return JSON.parse(raw);
    } catch {
      throw new TypeError(`${source}: metadata key '${key}' is not valid JSON`);
    }
  };
  const labels = get(KEYS.labels);
  if (
    !Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === "string")
  ) {
    throw new TypeError(`${source}: metadata '${KEYS.labels}' must be a non-empty string array`);
  }
  const preprocess = parsePreprocessConfig(get(KEYS.preprocess), `${source}: ${KEYS.preprocess}`);
  const inputSize = get(KEYS.inputSize);
  if (
    !Array.isArray(inputSize) || inputSize.length !== 2 ||
    !inputSize.every((n) => Number.isInteger(n) && n > 0)
  ) {
    throw new TypeError(`${source}: metadata '${KEYS.inputSize}' must be [height, width]`);
  }
  const optional = <T>(key: string, fallback: T): T => (key in props ? get(key) as T : fallback);
  const temperature = optional(KEYS.temperature, 1);
  if (typeof temperature !== "number" || !(temperature > 0)) {
    throw new TypeError(`${source}: metadata '${KEYS.temperature}' must be a positive number`);
  }
  return {
    labels: labels as string[],
    preprocess,
    arch: String(optional(KEYS.arch, "unknown")),
    inputSize: inputSize as [number, number],
    metrics: optional(KEYS.metrics, {}),
    configSha256: String(optional(KEYS.configSha256, "")),
    edgeclassVersion: String(optional(KEYS.edgeclassVersion, "")),
    temperature,
  };
}
