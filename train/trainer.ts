import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { IMAGENET_MEAN, IMAGENET_STD } from "../shared/preprocess_config.ts";
import { defaultPreprocessConfig } from "../shared/preprocess_config.ts";
import { EDGECLASS_VERSION, type ModelMetadata } from "../shared/model_metadata.ts";
import { Rng } from "../shared/rng.ts";
import { AdamW } from "./adamw.ts";
import { atomicWrite, atomicWriteJson, removeStaleTemps } from "./atomic_write.ts";
import { chooseBackend } from "./backend.ts";
import { renderConfusion, renderCurves } from "./charts.ts";
import {
  applyCheckpoint,
  applyWeights,
  CHECKPOINT_FILE,
  readCheckpoint,
  saveCheckpoint,
  trainableVariables,
  type TrainState,
} from "./checkpoint.ts";
import { clipGradNorm } from "./clip_grad_norm.ts";
import { checkConfig, type TrainConfig } from "./config.ts";
import type { Dataset } from "./data/dataset.ts";
import { DataLoader } from "./data/loader.ts";
import { loadDataset, type LoadDatasetOptions } from "./data/load_dataset.ts";
import { trainTransform } from "./data/recipes.ts";
import { exportOnnx, writeModelArtifacts } from "./export/export_onnx.ts";
import { crossEntropy } from "./loss.ts";
import { type ClassificationMetrics, classificationMetrics } from "./metrics.ts";
import { buildModel, headLayerNames } from "./models/build_model.ts";
import { setTrainable } from "./models/freeze.ts";
import { describeTrainable, planStages, stageIndexAt, type StagePlan } from "./plan_stages.ts";
import { EpochProgress } from "./progress.ts";
import { learningRateAt } from "./schedule.ts";
import { loadWeightsInto } from "./weights/load_weights.ts";

/** One line of `history.json`. */
export interface EpochRecord {
  /** 1-based epoch. */
  epoch: number;
  lr: number;
  trainLoss: number;
  /** Accuracy of the training-mode forward passes during the epoch (dropout/BN in train mode). */
  trainAcc: number;
  /** Same criterion as training (label smoothing included), inference mode. */
  valLoss: number;
  valAcc: number;
  /** Null with 5 classes or fewer. */
  valTop5: number | null;
  /** Wall time of the epoch (train + val), seconds. Not reproducible across runs. */
  seconds: number;
  /** Training images per second. Not reproducible across runs. */
  imagesPerSecond: number;
  /** The `--schedule` stage the epoch belongs to; absent for runs without a schedule. */
  stage?: StagePlan["name"];
}

/** Loop bookkeeping saved with every checkpoint (in `TrainState.extra`). */
interface LoopState {
  /** Batches of epoch `state.epoch` already trained (mid-epoch checkpoint after Ctrl-C). */
  batch: number;
  /** Running sums of the partial epoch. */
  partial: { lossSum: number; correct: number; seen: number; seconds: number };
  bestValAcc: number;
  /** 1-based epoch of the best checkpoint, 0 before any. */
  bestEpoch: number;
  /**
   * Index (into `planStages(config)`) of the stage whose trainable set was in effect when the
   * checkpoint was saved: the optimizer state is stored for exactly those variables. Absent in
   * checkpoints from before stages existed (one stage, index 0).
   */
  stage?: number;
}

/** Knobs for tests and the CLI, beyond the config. */
export interface TrainOptions {
  /** Run folder to continue (`--resume`); the config must be the one saved there. */
  resume?: string | null;
  /** Extra `loadDataset` options (tests use a small wafer set). */
  datasetOptions?: Partial<LoadDatasetOptions>;
  /** One line per event; defaults to console.log. */
  log?: (line: string) => void;
  /** Stops the run at the next batch boundary, saving `last` and writing the reports. */
  signal?: AbortSignal;
  /** Called after every training batch (tests use it to interrupt mid-epoch). */
  onBatch?: (epoch: number, batch: number) => void;
  /** Skip the ONNX export (tests that only check the loop). */
  skipExport?: boolean;
}

/** What a run produced. */
export interface TrainResult {
  runDir: string;
  history: EpochRecord[];
  bestEpoch: number;
  /** Validation metrics of the best checkpoint. */
  metrics: ClassificationMetrics | null;
  /** Path of model.onnx, or null when not exported. */
  modelPath: string | null;
  /** "interrupted" when stopped by the signal (resume with --resume). */
  status: "finished" | "early_stop" | "interrupted";
  backend: string;
}

/**
 * Mean/std the model input is normalised with: ImageNet when starting from pretrained weights
 * (the backbone learnt its features on inputs normalised that way) or with the pretrained
 * recipe, else 0.5. The export records it in the model's PreprocessConfig.
 */
export function normalizationFor(
  config: Pick<TrainConfig, "augment" | "weights">,
): { mean: [number, number, number]; std: [number, number, number] } {
  return config.augment === "pretrained" || (config.weights ?? null) !== null
    ? { mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD] }
    : { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
}

/** The folder of a run: `<out>/<name>`. */
export function runDirOf(config: TrainConfig): string {
  if (config.name === null) throw new Error("config.name must be resolved before training");
  return join(config.out, config.name);
}

/**
 * Runs `fn` with `Math.random` drawing from `rng`. tfjs draws dropout masks (and any other
 * unseeded randomness) from `Math.random`; routing it through a seeded generator whose state is
 * checkpointed makes runs repeatable and resumes exact. `fn` must be synchronous so nothing else
 * (prefetching, timers) sees the swapped function.
 */
function withSeededMathRandom<T>(rng: Rng, fn: () => T): T {
  const original = Math.random;
  Math.random = () => rng.next();
  try {
    return fn();
  } finally {
    Math.random = original;
  }
}

/**
 * Trains a model as `config` says, writing everything into `runs/<name>/`: config.json,
 * history.json, checkpoints/{best,last}/, curves.png, confusion.png, metrics.json and (from the
 * best checkpoint) model.onnx + model.json.
 *
 * The loop is custom (not `model.fit`): training-mode forward (`model.apply(x, {training:
 * true})`, so BatchNorm uses batch statistics and updates its moving averages), cross-entropy
 * with optional label smoothing, `tf.variableGrads`, optional global-norm clipping, AdamW with a
 * per-epoch cosine schedule. Every epoch ends with a val pass in inference mode, a `last`
 * checkpoint and, when val accuracy improved, a `best` one.
 *
 * Transfer learning: with `config.weights` the pretrained backbone is loaded first (see
 * `loadWeightsInto`), and `config.schedule` splits the run into stages (`planStages`): the head
 * stage trains only the head over a frozen backbone, the finetune stage what `unfreeze` says,
 * with backbone variables at `lr * backboneLrMult`. Each stage has its own warmup + cosine LR
 * schedule; the history is one, each record naming its stage.
 *
 * Resume: checkpoints hold weights, optimizer moments, the epoch and batch position, the stage,
 * the seeded dropout RNG and the history; the data order and augmentation depend only on (seed,
 * epoch, position). So a resumed run on the same backend reproduces the uninterrupted one, also
 * across the stage boundary. A SIGKILL loses at most the epoch in progress.
 */
export async function train(config: TrainConfig, opts: TrainOptions = {}): Promise<TrainResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  checkConfig(config);
  const stages = planStages(config);
  const runDir = opts.resume ?? runDirOf(config);
  const lastFile = join(runDir, "checkpoints", "last", CHECKPOINT_FILE);
  if (opts.resume) {
    if (!await exists(lastFile)) {
      throw new Error(
        `cannot resume ${runDir}: ${lastFile} does not exist (the run stopped before its first ` +
          `checkpoint); start it again without --resume`,
      );
    }
  } else if (
    await exists(lastFile) || await exists(join(runDir, "checkpoints", "best", CHECKPOINT_FILE))
  ) {
    throw new Error(
      `run folder ${runDir} already has checkpoints; continue it with --resume ${runDir} ` +
        `or pick another --name`,
    );
  }
  if (await exists(runDir)) {
    const removed = await removeStaleTemps(runDir);
    if (removed.length > 0) {
      log(`removed ${removed.length} temporary file(s) of killed writes: ${removed.join(", ")}`);
    }
  }
  const backend = await chooseBackend(config.backend, (line) => log(line));

  const dataset = await loadDataset(config.data, {
    imageSize: config.imageSize,
    seed: config.seed,
    valFraction: config.valFraction,
    onBadImage: config.onBadImage,
    ...opts.datasetOptions,
  });
  checkDataset(dataset, config);
  const numClasses = dataset.classes.length;
  log(
    `data: ${dataset.name}: ${numClasses} classes, ${dataset.train.length} train / ` +
      `${dataset.val.length} val` +
      (dataset.skipped.length > 0 ? `, ${dataset.skipped.length} skipped` : ""),
  );

  const norm = normalizationFor(config);
  const tensorSpec = { size: config.imageSize, ...norm };
  const trainLoader = new DataLoader(dataset.train, {
    batchSize: config.batchSize,
    shuffle: true,
    seed: config.seed,
    transform: trainTransform(config.augment, config.imageSize, {
      domain: dataset.domain,
      fill: dataset.fill,
    }),
    tensor: tensorSpec,
    prefetch: config.prefetch,
    onBadImage: config.onBadImage,
  });
  const valLoader = new DataLoader(dataset.val, {
    batchSize: config.batchSize,
    shuffle: false,
    seed: config.seed,
    tensor: tensorSpec,
    prefetch: config.prefetch,
    onBadImage: config.onBadImage,
  });

  const model = buildModel({
    arch: config.arch,
    numClasses,
    inputSize: config.imageSize,
    freezeBackbone: config.freezeBackbone,
    seed: config.seed,
  });
  // Pretrained weights only for a fresh run: a resumed one gets every weight from its checkpoint.
  if (config.weights !== null && !opts.resume) {
    const report = await loadWeightsInto(model, config.arch, config.weights, {
      numClasses,
      sha256: config.weightsSha256 ?? undefined,
      log,
    });
    await atomicWriteJson(join(runDir, "weights.json"), report);
  }
  const optimizer = new AdamW({
    lr: config.lr,
    weightDecay: config.weightDecay,
    ...(config.backboneLrMult !== 1 ? { lrScale: backboneLrScale(model, config) } : {}),
  });

  // The trainable set of a stage; the optimizer only ever sees `variables`.
  let variables: tf.Variable[] = [];
  let stageIndex = -1;
  const enterStage = (i: number, quiet = false) => {
    if (i === stageIndex) return;
    const stage = stages[i];
    if (stage.trainable !== null) setTrainable(model, config.arch, stage.trainable);
    variables = trainableVariables(model);
    stageIndex = i;
    if (quiet || stages.length === 1) return;
    log(
      `stage ${stage.name}: epochs ${stage.start + 1}-${stage.start + stage.epochs}, trains ` +
        `${describeTrainable(stage.trainable)}, ${countSize(variables)} trainable parameters` +
        (stage.name === "finetune" && config.backboneLrMult !== 1
          ? `, backbone lr x${config.backboneLrMult}`
          : ""),
    );
  };

  const configText = JSON.stringify(config, null, 2) + "\n";
  // rewritten on resume too: --epochs/--patience/--backend may have changed it
  await atomicWrite(join(runDir, "config.json"), configText);
  let state: TrainState<EpochRecord>;
  let loop: LoopState;
  if (opts.resume) {
    const ckpt = await readCheckpoint<EpochRecord>(join(runDir, "checkpoints", "last"));
    loop = ckpt.state.extra as unknown as LoopState;
    // the optimizer state was saved for the trainable set of that stage
    const saved = loop.stage ?? 0;
    if (!Number.isInteger(saved) || saved < 0 || saved >= stages.length) {
      throw new Error(`checkpoint ${ckpt.path}: stage ${saved} is not in the run's schedule`);
    }
    enterStage(saved, true);
    applyCheckpoint(ckpt, model, optimizer);
    state = ckpt.state;
    log(
      `resume: ${runDir} at epoch ${state.epoch + 1}` +
        (loop.batch > 0 ? `, batch ${loop.batch + 1}` : "") +
        (stages.length > 1 ? ` (stage ${stages[stageIndexAt(stages, state.epoch)].name})` : ""),
    );
  } else {
    loop = {
      batch: 0,
      partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 },
      bestValAcc: -1,
      bestEpoch: 0,
      stage: 0,
    };
    state = {
      epoch: 0,
      rng: new Rng((config.seed ^ 0x6d0f7a11) >>> 0).state(),
      history: [],
      extra: loop as unknown as Record<string, unknown>,
    };
    enterStage(0);
  }
  log(
    `model: ${config.arch}, ${model.countParams()} parameters ` +
      `(${countSize(variables)} trainable)`,
  );
  const rng = new Rng(state.rng);
  const history = state.history;
  const ckptDir = (which: "best" | "last") => join(runDir, "checkpoints", which);
  let lastSave = performance.now();
  const save = async (which: "best" | "last") => {
    if (which === "last") lastSave = performance.now();
    state.rng = rng.state();
    loop.stage = stageIndex;
    state.extra = loop as unknown as Record<string, unknown>;
    await saveCheckpoint(ckptDir(which), model, optimizer, state);
  };

  // A pure function of the saved state and the config, so a resumed run (maybe with another
  // --patience or more --epochs) decides the same way.
  const patienceSpent = () =>
    config.patience > 0 && state.epoch > 0 && state.epoch - loop.bestEpoch >= config.patience;
  let status: TrainResult["status"] = "finished";
  while (state.epoch < config.epochs) {
    if (patienceSpent()) {
      status = "early_stop";
      log(`early stop: no val accuracy gain for ${config.patience} epochs`);
      break;
    }
    const epoch = state.epoch; // 0-based
    enterStage(stageIndexAt(stages, epoch));
    if (opts.signal?.aborted) {
      // same state as the end of the previous epoch, but there is none before epoch 1
      await save("last");
      status = "interrupted";
      log(`interrupted before epoch ${state.epoch + 1}; saved checkpoints/last`);
      break;
    }
    // each stage has its own warmup + cosine: a restart when the backbone is unfrozen
    const stage = stages[stageIndex];
    optimizer.learningRate = learningRateAt(epoch - stage.start, {
      baseLr: config.lr,
      epochs: stage.epochs,
      warmupEpochs: config.warmupEpochs,
    });
    let t0 = performance.now();
    const batches = trainLoader.length;
    const progress = new EpochProgress({ epoch: epoch + 1, epochs: config.epochs, batches });
    // a mid-epoch resume starts at the first untrained batch without loading the ones before
    let b = loop.batch;
    let interrupted = false;
    for await (const batch of trainLoader.batches(epoch, loop.batch)) {
      if (opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      let loss = NaN;
      if (batch.size > 0) {
        const step = await trainStep(model, optimizer, variables, batch, config, rng);
        loss = step.loss;
        loop.partial.lossSum += loss * batch.size;
        loop.partial.correct += step.correct;
        loop.partial.seen += batch.size;
        progress.tick(batch.size, loss);
      }
      b++;
      loop.batch = b;
      if (config.logEvery > 0 && (b % config.logEvery === 0 || b === batches)) {
        log(
          `batch ${b}/${batches} of epoch ${epoch + 1}/${config.epochs}: loss ` +
            `${loss.toFixed(4)}, ${Math.round(progress.imagesPerSecond)} img/s`,
        );
      }
      if (
        config.checkpointMinutes > 0 && b < batches &&
        performance.now() - lastSave >= config.checkpointMinutes * 60_000
      ) {
        // the partial epoch's time so far goes into the checkpoint too
        const now = performance.now();
        loop.partial.seconds += (now - t0) / 1000;
        t0 = now;
        await save("last");
        log(`checkpoint: saved checkpoints/last at batch ${b}/${batches} of epoch ${epoch + 1}`);
      }
      opts.onBatch?.(epoch, b);
    }
    progress.stop();
    loop.partial.seconds += (performance.now() - t0) / 1000;
    if (interrupted) {
      await save("last");
      status = "interrupted";
      log(`interrupted in epoch ${epoch + 1} after ${loop.batch} batches; saved checkpoints/last`);
      break;
    }
    const tVal = performance.now();
    const val = await evaluate(model, valLoader, numClasses, dataset.classes, config);
    const seen = Math.max(1, loop.partial.seen);
    const record: EpochRecord = {
      epoch: epoch + 1,
      lr: optimizer.learningRate,
      trainLoss: loop.partial.lossSum / seen,
      trainAcc: loop.partial.correct / seen,
      valLoss: val.loss,
      valAcc: val.metrics.top1,
      valTop5: val.metrics.top5,
      seconds: loop.partial.seconds + (performance.now() - tVal) / 1000,
      imagesPerSecond: loop.partial.seen / Math.max(1e-9, loop.partial.seconds),
      ...(config.schedule !== null ? { stage: stage.name } : {}),
    };
    history.push(record);
    state.epoch = epoch + 1;
    loop.batch = 0;
    loop.partial = { lossSum: 0, correct: 0, seen: 0, seconds: 0 };
    const improved = record.valAcc > loop.bestValAcc;
    if (improved) {
      loop.bestValAcc = record.valAcc;
      loop.bestEpoch = record.epoch;
    }
    if (improved) await save("best");
    await save("last");
    await atomicWriteJson(join(runDir, "history.json"), history);
    log(formatEpoch(record, config.epochs, improved));
  }

  const result = await finalize({
    model,
    runDir,
    config,
    configText,
    dataset,
    valLoader,
    trainLoader,
    history,
    bestEpoch: loop.bestEpoch,
    log,
    skipExport: opts.skipExport ?? false,
    backend: backend.name,
  });
  optimizer.dispose();
  model.dispose();
  return { ...result, status, backend: backend.name };
}

function countSize(variables: readonly tf.Variable[]): number {
  return variables.reduce((n, v) => n + v.size, 0);
}

/** AdamW `lrScale`: 1 for the head's variables, `backboneLrMult` for every other one. */
function backboneLrScale(model: tf.LayersModel, config: TrainConfig): (v: tf.Variable) => number {
  const head = headLayerNames(config.arch);
  const headVars = new Set(
    model.layers.filter((l) => head.includes(l.name)).flatMap((l) =>
      l.weights.map((w) => (w.read() as tf.Variable).name)
    ),
  );
  return (v) => (headVars.has(v.name) ? 1 : config.backboneLrMult);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

function checkDataset(dataset: Dataset, config: TrainConfig): void {
  if (dataset.classes.length < 2) {
    throw new Error(
      `dataset ${dataset.name}: needs at least 2 classes, found ${dataset.classes.length}`,
    );
  }
  if (dataset.train.length === 0) throw new Error(`dataset ${dataset.name}: no training samples`);
  if (dataset.val.length === 0) {
    throw new Error(
      `dataset ${dataset.name}: no validation samples (val fraction ${config.valFraction})`,
    );
  }
}

/** One optimisation step; returns the batch mean loss and the number of correct predictions. */
async function trainStep(
  model: tf.LayersModel,
  optimizer: AdamW,
  variables: tf.Variable[],
  batch: { x: Float32Array; y: Int32Array; size: number },
  config: TrainConfig,
  rng: Rng,
): Promise<{ loss: number; correct: number }> {
  const s = config.imageSize;
  const [value, pred] = withSeededMathRandom(rng, () => {
    const x = tf.tensor4d(batch.x, [batch.size, s, s, 3]);
    const y = tf.tensor1d(batch.y, "int32");
    const kept: tf.Tensor[] = []; // argmax of the logits, kept out of the gradient scope
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor2D;
      kept.push(tf.keep(tf.argMax(logits, 1)));
      return crossEntropy(logits, y, config.labelSmoothing);
    }, variables);
    let toApply = grads;
    if (config.clipGrad > 0) {
      const clipped = clipGradNorm(grads, config.clipGrad); // on the device: no read back
      toApply = clipped.grads;
      tf.dispose([clipped.norm, ...Object.values(grads)]);
    }
    optimizer.applyGradients(toApply);
    tf.dispose([x, y, ...Object.values(toApply)]);
    return [value, kept[0]];
  });
  // Async reads: webgpu cannot read GPU buffers synchronously under Deno (no OffscreenCanvas).
  const loss = (await value.data())[0];
  const predicted = await pred.data();
  tf.dispose([value, pred]);
  let correct = 0;
  for (let i = 0; i < batch.size; i++) if (predicted[i] === batch.y[i]) correct++;
  if (!Number.isFinite(loss)) {
    throw new Error(
      `training diverged: loss is ${loss} (try a lower --lr, or --clip-grad 1)`,
    );
  }
  return { loss, correct };
}

/** Inference-mode pass over the val set: mean loss and all classification metrics. */
async function evaluate(
  model: tf.LayersModel,
  loader: DataLoader,
  numClasses: number,
  classes: string[],
  config: TrainConfig,
): Promise<
  { loss: number; metrics: ClassificationMetrics; logits: Float32Array; labels: Int32Array }
> {
  const s = config.imageSize;
  const logitChunks: Float32Array[] = [];
  const labelChunks: Int32Array[] = [];
  let lossSum = 0, seen = 0;
  for await (const batch of loader.batches(0)) {
    if (batch.size === 0) continue;
    const [out, l] = tf.tidy(() => {
      const x = tf.tensor4d(batch.x, [batch.size, s, s, 3]);
      const out = model.apply(x, { training: false }) as tf.Tensor2D;
      return [out, crossEntropy(out, tf.tensor1d(batch.y, "int32"), config.labelSmoothing)];
    });
    // async reads for webgpu (see trainStep)
    const logits = await out.data() as Float32Array;
    const loss = (await l.data())[0];
    tf.dispose([out, l]);
    logitChunks.push(logits);
    labelChunks.push(batch.y);
    lossSum += loss * batch.size;
    seen += batch.size;
  }
  const logits = concatF32(logitChunks);
  const labels = concatI32(labelChunks);
  const metrics = classificationMetrics(logits, labels, classes);
  if (numClasses !== classes.length) throw new Error("class count mismatch");
  return { loss: lossSum / Math.max(1, seen), metrics, logits, labels };
}

function concatF32(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), o += p.length);
  return out;
}

function concatI32(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), o += p.length);
  return out;
}

const pct = (x: number) => (x * 100).toFixed(2) + "%";

/** `epoch 3/8 lr 8.54e-4 | train loss 0.4123 acc 87.12% | val loss ... | 12.3 s, 180 img/s *` */
export function formatEpoch(r: EpochRecord, epochs: number, best: boolean): string {
  return `epoch ${r.epoch}/${epochs} lr ${r.lr.toExponential(2)} | ` +
    `train loss ${r.trainLoss.toFixed(4)} acc ${pct(r.trainAcc)} | ` +
    `val loss ${r.valLoss.toFixed(4)} acc ${pct(r.valAcc)}` +
    (r.valTop5 !== null ? ` top5 ${pct(r.valTop5)}` : "") +
    ` | ${r.seconds.toFixed(1)} s, ${Math.round(r.imagesPerSecond)} img/s` +
    (best ? " *best" : "");
}

interface FinalizeArgs {
  model: tf.LayersModel;
  runDir: string;
  config: TrainConfig;
  configText: string;
  dataset: Dataset;
  valLoader: DataLoader;
  trainLoader: DataLoader;
  history: EpochRecord[];
  bestEpoch: number;
  log: (line: string) => void;
  skipExport: boolean;
  backend: string;
}

/**
 * Reports from the best checkpoint: metrics.json, confusion.png, curves.png, history.json, then
 * model.onnx + model.json. Runs after a normal end, an early stop or an interruption.
 */
async function finalize(
  a: FinalizeArgs,
): Promise<Omit<TrainResult, "status" | "backend">> {
  const { model, runDir, config, log } = a;
  await atomicWriteJson(join(runDir, "history.json"), a.history);
  if (a.history.length > 0) {
    await atomicWrite(join(runDir, "curves.png"), await renderCurves(a.history));
  }
  if (a.bestEpoch === 0) {
    log(`no epoch completed: no best checkpoint, metrics or model yet (run dir ${runDir})`);
    return { runDir, history: a.history, bestEpoch: 0, metrics: null, modelPath: null };
  }
  applyWeights(await readCheckpoint(join(runDir, "checkpoints", "best")), model);
  const val = await evaluate(
    model,
    a.valLoader,
    a.dataset.classes.length,
    a.dataset.classes,
    config,
  );
  const m = val.metrics;
  const skipped = [...a.dataset.skipped, ...a.trainLoader.skipped, ...a.valLoader.skipped];
  await atomicWriteJson(join(runDir, "metrics.json"), {
    split: "val",
    dataset: a.dataset.name,
    backend: a.backend,
    epoch: a.bestEpoch,
    count: m.count,
    top1: m.top1,
    top5: m.top5,
    macroF1: m.macroF1,
    loss: val.loss,
    perClass: m.perClass,
    confusion: m.confusion,
    classes: a.dataset.classes,
    skippedCount: skipped.length,
    skipped,
  });
  await atomicWrite(
    join(runDir, "confusion.png"),
    await renderConfusion(m.confusion, a.dataset.classes),
  );
  log(
    `best: epoch ${a.bestEpoch}, val top1 ${pct(m.top1)}` +
      (m.top5 !== null ? `, top5 ${pct(m.top5)}` : "") + `, macro F1 ${m.macroF1.toFixed(4)}`,
  );
  if (a.skipExport) {
    return { runDir, history: a.history, bestEpoch: a.bestEpoch, metrics: m, modelPath: null };
  }
  const meta: ModelMetadata = {
    labels: a.dataset.classes,
    preprocess: defaultPreprocessConfig(config.imageSize, {
      mean: normalizationFor(config).mean,
      std: normalizationFor(config).std,
    }),
    arch: config.arch,
    inputSize: [config.imageSize, config.imageSize],
    metrics: {
      valTop1: m.top1,
      ...(m.top5 !== null ? { valTop5: m.top5 } : {}),
      macroF1: m.macroF1,
      epoch: a.bestEpoch,
    },
    configSha256: await sha256Hex(a.configText),
    edgeclassVersion: EDGECLASS_VERSION,
    temperature: 1,
  };
  // exportOnnx reads weights with dataSync: fetch them first for webgpu (see saveCheckpoint)
  await Promise.all(model.weights.map((w) => w.read().data()));
  const bytes = exportOnnx(model, meta);
  await writeModelArtifacts(runDir, bytes, meta);
  const modelPath = join(runDir, "model.onnx");
  log(`model: ${modelPath} (+ model.json), from epoch ${a.bestEpoch}`);
  return { runDir, history: a.history, bestEpoch: a.bestEpoch, metrics: m, modelPath };
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
