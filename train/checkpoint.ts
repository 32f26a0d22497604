import * as tf from "@tensorflow/tfjs";
import { AdamW, type AdamWSlotState } from "./adamw.ts";
import { atomicWrite } from "./atomic_write.ts";

/** File name of the checkpoint inside a checkpoint folder (`checkpoints/last/`). */
export const CHECKPOINT_FILE = "checkpoint.bin";
const MAGIC = "EDGECKPT";
/**
 * 2: weights in `checkpointWeights` order. 1 (still read): `model.weights` order, which tfjs
 * makes depend on which layers are trainable (all trainable weights first).
 */
const FORMAT_VERSION = 2;
const READABLE_VERSIONS = [1, 2];

/** Everything besides tensors that a resumed run needs. Must be JSON-serializable. */
export interface TrainState<H = unknown> {
  /** Epochs completed; a resumed run starts at this (0-based) epoch. */
  epoch: number;
  /** Seeded RNG state (`Rng.state()`) for dropout and any other in-loop randomness. */
  rng: number[];
  /** Per-epoch history so far. */
  history: H[];
  /** Free-form extras (best epoch, classes, config hash...). */
  extra: Record<string, unknown>;
}

/**
 * Every weight of `model` (BatchNorm moving statistics included) layer by layer, in an order
 * that does not depend on which layers are trainable. (tfjs `model.weights` lists all trainable
 * weights before all others, so freezing a layer reorders it.) Nested models are flattened.
 */
export function checkpointWeights(model: tf.LayersModel): tf.LayerVariable[] {
  const out: tf.LayerVariable[] = [];
  const visit = (layers: tf.layers.Layer[]) => {
    for (const layer of layers) {
      const inner = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
      // A layer's own list is trainable-then-non-trainable too, but `layer.trainable = x` flips
      // all its trainable-kind weights together, so within a layer the order never changes.
      if (Array.isArray(inner)) visit(inner);
      else out.push(...layer.weights);
    }
  };
  visit(model.layers);
  return out;
}

interface TensorEntry {
  /** `model/<i>`, `opt/<i>/m`, `opt/<i>/v`. */
  key: string;
  /** The tfjs variable name when saved, for humans (names differ between processes). */
  name: string;
  shape: number[];
  /** Offset and length in float32 elements within the blob. */
  offset: number;
  length: number;
}

interface Header<H> {
  format: number;
  state: TrainState<H>;
  /** Optimizer per-variable steps, by trainable-variable position. */
  optimizerSteps: number[] | null;
  tensors: TensorEntry[];
  /** Hex sha256 of the blob, so a flipped byte is an error instead of silent garbage. */
  blobSha256: string;
}

/**
 * Saves model weights (all of `checkpointWeights(model)`, BatchNorm moving statistics included), the
 * optimizer state and `state` to `<dir>/checkpoint.bin` with one atomic write, so a kill at any
 * moment leaves either the previous checkpoint or the new one.
 *
 * Layout: "EDGECKPT", u32 LE format version, u32 LE header length, header JSON, float32 blob.
 */
export async function saveCheckpoint<H>(
  dir: string,
  model: tf.LayersModel,
  optimizer: AdamW | null,
  state: TrainState<H>,
): Promise<string> {
  // webgpu cannot read GPU buffers synchronously under Deno; an async read caches the values on
  // the CPU, so the dataSync calls below (here and in AdamW.exportState) then just return them.
  await Promise.all(checkpointWeights(model).map((w) => w.read().data()));
  if (optimizer !== null) {
    const slots = await optimizer.getWeights();
    await Promise.all(slots.map((s) => s.tensor.data()));
    slots[0].tensor.dispose(); // the iteration count, made fresh by getWeights
  }
  const arrays: { key: string; name: string; shape: number[]; data: Float32Array }[] = [];
  checkpointWeights(model).forEach((w, i) => {
    const v = w.read();
    if (v.dtype !== "float32") throw new TypeError(`weight '${w.name}' is ${v.dtype}, not float32`);
    arrays.push({
      key: `model/${i}`,
      name: w.name,
      shape: v.shape,
      data: v.dataSync() as Float32Array,
    });
  });
  let optimizerSteps: number[] | null = null;
  if (optimizer !== null) {
    const vars = trainableVariables(model);
    const slots = optimizer.exportState(vars);
    optimizerSteps = slots.map((s) => s.step);
    slots.forEach((s, i) => {
      arrays.push({ key: `opt/${i}/m`, name: vars[i].name, shape: vars[i].shape, data: s.m });
      arrays.push({ key: `opt/${i}/v`, name: vars[i].name, shape: vars[i].shape, data: s.v });
    });
  }
  const total = arrays.reduce((n, a) => n + a.data.length, 0);
  const blob = new Float32Array(total);
  const tensors: TensorEntry[] = [];
  let offset = 0;
  for (const a of arrays) {
    blob.set(a.data, offset);
    tensors.push({ key: a.key, name: a.name, shape: a.shape, offset, length: a.data.length });
    offset += a.data.length;
  }
  // float32 bytes are written in platform order; every supported platform is little-endian
  const blobBytes = new Uint8Array(blob.buffer);
  const header: Header<H> = {
    format: FORMAT_VERSION,
    state,
    optimizerSteps,
    tensors,
    blobSha256: await sha256Hex(blobBytes),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  // pad the header so the blob starts 4-byte aligned and can be viewed as Float32Array
  const pad = (4 - ((16 + headerBytes.length) % 4)) % 4;
  const file = new Uint8Array(16 + headerBytes.length + pad + blobBytes.length);
  file.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(file.buffer);
  view.setUint32(8, FORMAT_VERSION, true);
  view.setUint32(12, headerBytes.length + pad, true);
  file.set(headerBytes, 16);
  file.fill(0x20, 16 + headerBytes.length, 16 + headerBytes.length + pad); // JSON whitespace
  file.set(blobBytes, 16 + headerBytes.length + pad);
  const path = `${dir}/${CHECKPOINT_FILE}`;
  await atomicWrite(path, file);
  return path;
}

/** A checkpoint read from disk, not yet applied to a model. */
export interface LoadedCheckpoint<H> {
  path: string;
  state: TrainState<H>;
  /** Model weights in `checkpointWeights` order (format 2) or `model.weights` order (1). */
  weights: { name: string; shape: number[]; data: Float32Array }[];
  /** The file's format version. */
  format: number;
  /** Optimizer state in trainable-variable order, or null when saved without one. */
  optimizer: AdamWSlotState[] | null;
}

/**
 * Reads and verifies `<dir>/checkpoint.bin`. A missing file, a truncated or altered file, or an
 * unknown format throws an Error naming the file and what is wrong.
 */
export async function readCheckpoint<H = unknown>(dir: string): Promise<LoadedCheckpoint<H>> {
  const path = `${dir}/${CHECKPOINT_FILE}`;
  let file: Uint8Array;
  try {
    file = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new Error(`checkpoint ${path} not found`);
    throw new Error(`checkpoint ${path}: cannot read (${(err as Error).message})`);
  }
  const corrupt = (why: string): never => {
    throw new Error(`checkpoint ${path} is corrupt or not a checkpoint: ${why}`);
  };
  if (file.length < 16 || new TextDecoder().decode(file.subarray(0, 8)) !== MAGIC) {
    corrupt("bad magic bytes");
  }
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const version = view.getUint32(8, true);
  if (!READABLE_VERSIONS.includes(version)) corrupt(`unsupported format version ${version}`);
  const headerLen = view.getUint32(12, true);
  if (16 + headerLen > file.length) corrupt("truncated header");
  let header: Header<H>;
  try {
    header = JSON.parse(new TextDecoder().decode(file.subarray(16, 16 + headerLen)));
  } catch {
    return corrupt("header is not valid JSON");
  }
  if (typeof header !== "object" || header === null || !Array.isArray(header.tensors)) {
    corrupt("header has no tensor table");
  }
  const blobBytes = file.slice(16 + headerLen);
  if (blobBytes.length % 4 !== 0) corrupt("blob length is not a multiple of 4");
  if ((await sha256Hex(blobBytes)) !== header.blobSha256) {
    corrupt("data checksum mismatch (truncated or modified)");
  }
  const blob = new Float32Array(blobBytes.buffer, 0, blobBytes.length / 4);
  const byKey = new Map<string, { name: string; shape: number[]; data: Float32Array }>();
  for (const t of header.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.length || t.offset < 0 || t.offset + t.length > blob.length) {
      corrupt(`tensor '${t.key}' is out of bounds`);
    }
    byKey.set(t.key, {
      name: t.name,
      shape: t.shape,
      data: blob.subarray(t.offset, t.offset + t.length),
    });
  }
  const weights = [];
  for (let i = 0; byKey.has(`model/${i}`); i++) weights.push(byKey.get(`model/${i}`)!);
  let optimizer: AdamWSlotState[] | null = null;
  if (header.optimizerSteps !== null) {
    optimizer = header.optimizerSteps.map((step, i) => {
      const m = byKey.get(`opt/${i}/m`), v = byKey.get(`opt/${i}/v`);
      if (!m || !v) return corrupt(`optimizer state ${i} is missing`);
      return { step, m: m.data, v: v.data };
    });
  }
  return { path, state: header.state, weights, optimizer, format: version };
}

/**
 * Loads a checkpoint into `model` (and `optimizer` when given) and returns its training state.
 * The model must have the same architecture: a mismatch throws naming the file and the weight.
 */
export async function loadCheckpoint<H = unknown>(
  dir: string,
  model: tf.LayersModel,
  optimizer: AdamW | null = null,
): Promise<TrainState<H>> {
  const ckpt = await readCheckpoint<H>(dir);
  applyCheckpoint(ckpt, model, optimizer);
  return ckpt.state;
}

/**
 * Copies a read checkpoint into `model` and, when given, `optimizer`, whose state is matched
 * to the model's trainable variables by position: set `trainable` as it was when the checkpoint
 * was saved first (the trainer records its stage for that).
 */
export function applyCheckpoint<H>(
  ckpt: LoadedCheckpoint<H>,
  model: tf.LayersModel,
  optimizer: AdamW | null = null,
): void {
  applyWeights(ckpt, model);
  if (optimizer !== null) {
    if (ckpt.optimizer === null) throw new Error(`checkpoint ${ckpt.path} has no optimizer state`);
    const vars = trainableVariables(model);
    if (vars.length !== ckpt.optimizer.length) {
      throw new Error(
        `checkpoint ${ckpt.path}: optimizer state for ${ckpt.optimizer.length} variables, model trains ${vars.length} (different --freeze-backbone?)`,
      );
    }
    optimizer.importState(vars, ckpt.optimizer);
  }
}

/** Copies checkpoint weights into `model`, checking count and shapes. */
export function applyWeights<H>(ckpt: LoadedCheckpoint<H>, model: tf.LayersModel): void {
  const targets = ckpt.format >= 2 ? checkpointWeights(model) : model.weights;
  if (targets.length !== ckpt.weights.length) {
    throw new Error(
      `checkpoint ${ckpt.path}: has ${ckpt.weights.length} weights, the model has ${targets.length} (different architecture?)`,
    );
  }
  targets.forEach((w, i) => {
    const src = ckpt.weights[i];
    if (src.shape.join(",") !== w.shape.join(",")) {
      throw new Error(
        `checkpoint ${ckpt.path}: weight ${i} ('${src.name}') has shape [${src.shape}], the model's '${w.name}' is [${w.shape}]`,
      );
    }
  });
  tf.tidy(() => {
    targets.forEach((w, i) =>
      w.write(tf.tensor(ckpt.weights[i].data, ckpt.weights[i].shape, "float32"))
    );
  });
}

/** The tf.Variables the optimizer updates, in the model's stable trainable order. */
export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
