/**
 * Loads a PyTorch-trained checkpoint (safetensors, torchvision or timm names) into a tfjs model
 * built by `buildModel`, all or nothing: every problem is collected and reported at once, and
 * the model is only touched when there is none.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { tensor } from "@tensorflow/tfjs";
import { fetchWeights } from "./fetch_weights.ts";
import { readSafetensors, type SafetensorsFile, tensorToFloat32 } from "./safetensors_reader.ts";
import { type TfjsWeightKind, torchShapeFits, torchToTfjs } from "./torch_to_tfjs_layout.ts";
import {
  assertPretrainedArch,
  BN_EPSILON,
  detectNaming,
  HEAD_PREFIX,
  isIgnoredTorchName,
  type Naming,
  type PretrainedArch,
  TORCH_SUFFIX,
  torchPrefixOfLayer,
  toTorchvisionNames,
} from "./torchvision_names.ts";

/** Options of `loadWeightsInto`. */
export interface LoadWeightsOptions {
  /** Classes of the model being trained; the checkpoint's head is skipped when it differs. */
  numClasses: number;
  /** Expected sha256 of the file (64 hex digits or a prefix of at least 8). */
  sha256?: string;
  /** Download cache for URL sources. */
  cacheDir?: string;
  /** One line per decision; default console.error. */
  log?: (line: string) => void;
  /** Progress bar for downloads; default when stderr is a terminal. */
  progress?: boolean;
}

/** What was loaded. */
export interface LoadReport {
  arch: PretrainedArch;
  /** The `source` as given (path or URL). */
  source: string;
  /** Local file that was read (the cache file for URLs). */
  path: string;
  sha256: string;
  downloaded: boolean;
  naming: Naming;
  /** Checkpoint tensors copied into the model. */
  loadedTensors: number;
  /** Model layers whose weights all came from the checkpoint. */
  loadedLayers: number;
  /** False when the head was skipped (class count differs, or the checkpoint has none). */
  headLoaded: boolean;
  /** Checkpoint entries left out on purpose (the head, `num_batches_tracked`). */
  skipped: string[];
}

/** Per-layer plan: which tfjs variable gets which checkpoint tensor. */
interface Assignment {
  variable: tf.LayerVariable;
  shape: number[];
  data: Float32Array;
}

const LIST_MAX = 12;

function list(names: string[]): string {
  const shown = names.slice(0, LIST_MAX).join(", ");
  return names.length > LIST_MAX ? `${shown}, ... (${names.length - LIST_MAX} more)` : shown;
}

/** Every layer of `model`, with nested models flattened. */
function flatLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  const visit = (layers: tf.layers.Layer[]) => {
    for (const l of layers) {
      const inner = (l as unknown as { layers?: tf.layers.Layer[] }).layers;
      if (Array.isArray(inner)) visit(inner);
      else out.push(l);
    }
  };
  visit(model.layers);
  return out;
}

function weightKind(className: string, role: string): TfjsWeightKind | null {
  if (role !== "kernel" && role !== "depthwise_kernel") return "vector";
  if (className === "Conv2D" && role === "kernel") return "conv";
  if (className === "DepthwiseConv2D" && role === "depthwise_kernel") return "depthwise";
  if (className === "Dense" && role === "kernel") return "dense";
  return null;
}

/**
 * Copies the tensors of a parsed safetensors file into `model`. Throws an Error naming the file
 * and listing every missing name, unexpected name, shape mismatch and BatchNorm epsilon that
 * differs from the reference model; then nothing has been written.
 */
export function assignStateDict(
  model: tf.LayersModel,
  archName: string,
  file: SafetensorsFile,
  opts: { numClasses: number; log?: (line: string) => void },
): Omit<LoadReport, "source" | "path" | "sha256" | "downloaded"> {
  const arch = assertPretrainedArch(archName);
  const log = opts.log ?? ((line: string) => console.error(line));
  const src = file.source;
  const naming = detectNaming(arch, file.tensors.keys());
  const { byTorchName, unmapped } = toTorchvisionNames(arch, file.tensors.keys(), naming);
  const consumed = new Set<string>();
  const skipped: string[] = [];
  for (const [tv, orig] of byTorchName) {
    if (isIgnoredTorchName(tv)) {
      consumed.add(orig);
      skipped.push(orig);
    }
  }

  const missing: string[] = [];
  const shapes: string[] = [];
  const problems: string[] = [];
  const plan: Assignment[][] = [];
  const head = HEAD_PREFIX[arch];
  let headLoaded = false;
  let headSeen = false;

  for (const layer of flatLayers(model)) {
    if (layer.weights.length === 0) continue;
    const prefix = torchPrefixOfLayer(arch, layer.name);
    const className = layer.getClassName();
    if (prefix === head) {
      headSeen = true;
      const kernel = layer.weights.find((w) => w.originalName.endsWith("/kernel"));
      const units = kernel?.shape[kernel.shape.length - 1];
      if (units !== opts.numClasses) {
        problems.push(
          `model head '${layer.name}' has ${units} outputs but numClasses is ${opts.numClasses}`,
        );
        continue;
      }
      const ckpt = byTorchName.get(`${head}.weight`);
      const ckptClasses = ckpt === undefined ? undefined : file.tensors.get(ckpt)!.shape[0];
      if (ckptClasses !== opts.numClasses) {
        for (const [tv, orig] of byTorchName) {
          if (tv.startsWith(`${head}.`)) {
            consumed.add(orig);
            skipped.push(orig);
          }
        }
        log(
          ckpt === undefined
            ? `weights: ${src} has no '${head}' head; keeping the model's freshly initialised head`
            : `weights: skipping head '${head}' on purpose: checkpoint has ${ckptClasses} classes, ` +
              `model has ${opts.numClasses}; the head starts from its fresh initialisation`,
        );
        continue;
      }
      headLoaded = true;
    }
    if (className === "BatchNormalization") {
      const eps = layer.getConfig().epsilon as number;
      if (Math.abs(eps - BN_EPSILON[arch]) > 1e-12) {
        problems.push(
          `BatchNorm '${layer.name}' has epsilon ${eps}, ${arch} needs ${BN_EPSILON[arch]}`,
        );
      }
    }
    const layerPlan: Assignment[] = [];
    for (const variable of layer.weights) {
      const role = variable.originalName.slice(variable.originalName.lastIndexOf("/") + 1);
      const suffix = TORCH_SUFFIX[role];
      const kind = weightKind(className, role);
      if (suffix === undefined || kind === null) {
        problems.push(
          `no PyTorch counterpart for ${className} variable '${variable.originalName}'`,
        );
        continue;
      }
      const torchName = `${prefix}.${suffix}`;
      const orig = byTorchName.get(torchName);
      if (orig === undefined) {
        missing.push(torchName);
        continue;
      }
      consumed.add(orig);
      const t = file.tensors.get(orig)!;
      if (!torchShapeFits(kind, variable.shape as number[], t.shape)) {
        shapes.push(
          `${orig} is [${t.shape}] but '${variable.originalName}' is [${variable.shape}]`,
        );
        continue;
      }
      const data = torchToTfjs(kind, variable.shape as number[], tensorToFloat32(t, src));
      layerPlan.push({ variable, shape: variable.shape as number[], data });
    }
    plan.push(layerPlan);
  }
  if (!headSeen) problems.push(`model has no head layer named '${head}'`);

  const unexpected = [
    ...unmapped,
    ...[...file.tensors.keys()].filter((n) => !consumed.has(n) && !unmapped.includes(n)),
  ];
  const parts: string[] = [];
  if (missing.length) parts.push(`${missing.length} missing in checkpoint: ${list(missing)}`);
  if (unexpected.length) {
    parts.push(`${unexpected.length} unexpected in checkpoint: ${list(unexpected)}`);
  }
  if (shapes.length) parts.push(`${shapes.length} shape mismatches: ${list(shapes)}`);
  if (problems.length) parts.push(list(problems));
  if (parts.length) {
    throw new Error(`${src}: cannot load into ${arch} (${naming} names): ${parts.join("; ")}`);
  }

  let loadedTensors = 0;
  for (const layerPlan of plan) {
    for (const a of layerPlan) {
      const t = tensor(a.data, a.shape, "float32");
      a.variable.write(t);
      t.dispose();
      loadedTensors++;
    }
  }
  const loadedLayers = plan.filter((p) => p.length > 0).length;
  log(
    `weights: loaded ${loadedTensors} tensors into ${loadedLayers} layers of ${arch} from ${src} ` +
      `(${naming} names${headLoaded ? ", head included" : ", head skipped"})`,
  );
  return { arch, naming, loadedTensors, loadedLayers, headLoaded, skipped };
}

/**
 * Loads pretrained weights from `source` (a safetensors path, file:// or http(s) URL; URLs are
 * cached) into `model`, a `buildModel` result of `arch`. See `assignStateDict` for the rules.
 * A PyTorch `.pth` is refused with the command that converts it.
 */
export async function loadWeightsInto(
  model: tf.LayersModel,
  arch: string,
  source: string,
  opts: LoadWeightsOptions,
): Promise<LoadReport> {
  assertPretrainedArch(arch);
  const fetched = await fetchWeights(source, {
    sha256: opts.sha256,
    cacheDir: opts.cacheDir,
    log: opts.log,
    progress: opts.progress,
  });
  const b = fetched.bytes;
  // .pth files are zip archives (PK\x03\x04) or raw pickles (0x80 protocol byte).
  if ((b[0] === 0x50 && b[1] === 0x4b) || b[0] === 0x80) {
    throw new TypeError(
      `${fetched.path}: this is a PyTorch .pth checkpoint, not safetensors; convert it with ` +
        `/usr/bin/python3 scripts/pth_to_safetensors.py ${fetched.path} out.safetensors`,
    );
  }
  const file = readSafetensors(b, fetched.path);
  const report = assignStateDict(model, arch, file, opts);
  return {
    ...report,
    source,
    path: fetched.path,
    sha256: fetched.sha256,
    downloaded: fetched.downloaded,
  };
}
