import { metadataFromProps, type ModelMetadata } from "../shared/model_metadata.ts";
import { preprocessOutputSize } from "../shared/preprocess_config.ts";
import type { EngineChoice } from "./edge_config.ts";
import { createEngine, type Engine, type EngineKind } from "./engine.ts";
import { InferenceQueue } from "./inference_queue.ts";
import { readOnnxInfo } from "./onnx_info.ts";

/** The model input and output names of the edgeclass ONNX contract. */
export const INPUT_NAME = "pixel_values";
export const OUTPUT_NAME = "logits";

/** A model loaded, checked against its metadata, warmed up, and ready to serve. */
export interface ServedModel {
  /** Short name shown in answers (the file name without `.onnx`). */
  readonly name: string;
  /** sha256 (hex) of the .onnx bytes. */
  readonly sha256: string;
  readonly meta: ModelMetadata;
  readonly engine: EngineKind;
  readonly threads: number;
  /** The session runs in its own worker thread (see `LoadModelOptions.worker`). */
  readonly inWorker: boolean;
  /** [batch, 3, H, W]; batch is -1 when the model accepts any batch size. */
  readonly inputShape: [number, number, number, number];
  /** Most images per model run (micro-batch size actually used). */
  readonly maxBatch: number;
  readonly queue: InferenceQueue;
  /** Logits for each input tensor ([3*H*W] each), through the queue. */
  infer(inputs: Float32Array[]): Promise<Float32Array[]>;
  release(): Promise<void>;
}

/** Options of `loadServedModel`. */
export interface LoadModelOptions {
  name: string;
  engine: EngineChoice;
  threads: number;
  maxBatch: number;
  batchWaitMs: number;
  queueLimit: number;
  /**
   * Run a native session in its own worker thread, so that inference overlaps decoding and HTTP
   * (EngineOptions.worker). Default: `defaultEngineWorker()`.
   */
  worker?: boolean;
  /**
   * A native model whose fastest warm-up run (batch 1) is shorter than this many ms gets one
   * intra-op thread whatever `threads` says (default SMALL_MODEL_RUN_MS; 0 keeps `threads`).
   */
  singleThreadBelowMs?: number;
  log?: (record: Record<string, unknown>) => void;
}

/**
 * `LoadModelOptions.worker` when unset: on 3 or more cores. A worker moves inference off the JS
 * thread (SimpleCNN 32 over HTTP: JS thread 0.44 instead of 0.65 ms CPU per request) but costs
 * ~0.1 ms more CPU in all for the messages, so on 2 busy cores, where total CPU decides, it
 * served 20% fewer requests per second (scripts/bench http, c=8, batching off).
 */
export function defaultEngineWorker(): boolean {
  return (globalThis.navigator?.hardwareConcurrency ?? 1) >= 3;
}

/**
 * A native model whose run takes less than this (ms, batch 1) gets one intra-op thread: its ops
 * are too short for a second thread to pay for being woken (SimpleCNN 32, 0.25 ms a run, over
 * HTTP at c=8 on 2 cores: 0.58 instead of 0.64 ms server CPU per request, five paired runs).
 */
export const SMALL_MODEL_RUN_MS = 1;

/**
 * `engine`, or the same model on one thread when its fastest of three runs is shorter than
 * `belowMs`. ORT fixes the thread count when the session is made, so that means a
 * second session (a few ms for a model this small); if it cannot be made, `engine` stays.
 */
async function fitThreads(
  engine: Engine,
  bytes: Uint8Array,
  worker: boolean,
  belowMs: number,
  runOn: (e: Engine) => Promise<unknown>,
  log?: (record: Record<string, unknown>) => void,
): Promise<Engine> {
  let fastest = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await runOn(engine);
    fastest = Math.min(fastest, performance.now() - t0);
  }
  if (fastest >= belowMs) return engine;
  let single: Engine | undefined;
  try {
    single = await createEngine("native", bytes, { threads: 1, worker });
    await runOn(single); // its warm-up
  } catch {
    await single?.release();
    return engine;
  }
  log?.({
    msg: "engine threads reduced to 1",
    configured_threads: engine.threads,
    run_ms: Math.round(fastest * 1000) / 1000,
    reason: `a run takes under ${belowMs} ms, too short for intra-op threads`,
  });
  await engine.release();
  return single;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Loads the .onnx `bytes`, checks that the metadata and the graph agree (labels, preprocessing,
 * input `pixel_values` [N,3,H,W], output `logits` [N,labels]), starts the engine and runs one
 * warm-up batch. Throws a TypeError whose message starts with `opts.name` and says what is wrong,
 * so a bad model fails startup with a clear line.
 */
export async function loadServedModel(
  bytes: Uint8Array,
  opts: LoadModelOptions,
): Promise<ServedModel> {
  const { name } = opts;
  const fail = (why: string): never => {
    throw new TypeError(`${name}: ${why}`);
  };
  const info = readOnnxInfo(bytes, name);
  const meta = metadataFromProps(info.metadataProps, name);
  if (meta.preprocess.layout !== "CHW") {
    fail(`metadata preprocess.layout is ${meta.preprocess.layout}; ONNX models take CHW`);
  }
  let outHw: [number, number];
  try {
    outHw = preprocessOutputSize(meta.preprocess);
  } catch (e) {
    return fail(`metadata preprocess: ${(e as Error).message}`);
  }

  const input = info.inputs.find((v) => v.name === INPUT_NAME) ??
    fail(`no graph input '${INPUT_NAME}' (inputs: ${info.inputs.map((v) => v.name).join(", ")})`);
  const output = info.outputs.find((v) => v.name === OUTPUT_NAME) ??
    fail(
      `no graph output '${OUTPUT_NAME}' (outputs: ${info.outputs.map((v) => v.name).join(", ")})`,
    );
  if (input.elemType !== 1) fail(`input '${INPUT_NAME}' is not float32`);
  const [b, c, h, w] = input.dims;
  if (input.dims.length !== 4 || c !== 3) {
    fail(`input '${INPUT_NAME}' has shape [${input.dims}], expected [N, 3, H, W]`);
  }
  if (h !== outHw[0] || w !== outHw[1]) {
    fail(`input is ${h}x${w} but the preprocessing config produces ${outHw[0]}x${outHw[1]}`);
  }
  if (meta.inputSize[0] !== h || meta.inputSize[1] !== w) {
    fail(`metadata input_size [${meta.inputSize}] does not match the graph input ${h}x${w}`);
  }
  const numLabels = meta.labels.length;
  if (output.dims.length !== 2) {
    fail(`output '${OUTPUT_NAME}' has shape [${output.dims}], expected [N, num_classes]`);
  }
  if (typeof output.dims[1] === "number" && output.dims[1] > 0 && output.dims[1] !== numLabels) {
    fail(`output has ${output.dims[1]} classes but metadata lists ${numLabels} labels`);
  }
  const dynamicBatch = typeof b !== "number" || b <= 0;
  if (!dynamicBatch && b !== 1) fail(`input batch size is fixed at ${b}; use 1 or dynamic`);
  const maxBatch = dynamicBatch ? opts.maxBatch : 1;

  // Hashing runs off the main thread: overlapped with session creation it is free (~0.2 s for
  // a 47 MB ResNet18 when done after it).
  const sha256 = sha256Hex(bytes);
  const worker = opts.worker ?? defaultEngineWorker();
  let engine: Engine = await createEngine(opts.engine, bytes, {
    threads: opts.threads,
    worker,
    log: opts.log,
  });
  const itemSize = 3 * outHw[0] * outHw[1];
  const runBatch = async (data: Float32Array, n: number): Promise<Float32Array> => {
    const out = await engine.run(INPUT_NAME, OUTPUT_NAME, {
      data,
      dims: [n, 3, outHw[0], outHw[1]],
    });
    return out.data;
  };
  let warmMs = 0;
  try {
    // Warm-up also checks a symbolic class dimension against the labels.
    const t0 = performance.now();
    const warm = await runBatch(new Float32Array(itemSize), 1);
    warmMs = performance.now() - t0;
    if (warm.length !== numLabels) {
      fail(`output has ${warm.length} classes but metadata lists ${numLabels} labels`);
    }
  } catch (e) {
    await engine.release();
    if (e instanceof TypeError) throw e;
    return fail(`warm-up run failed: ${(e as Error).message}`);
  }
  const belowMs = opts.singleThreadBelowMs ?? SMALL_MODEL_RUN_MS;
  // A first run is slower than later ones (allocation), but not tenfold: a model whose warm-up
  // takes that long is not small, and timing it again would only delay the start.
  if (belowMs > 0 && warmMs < 10 * belowMs && engine.kind === "native" && engine.threads > 1) {
    engine = await fitThreads(
      engine,
      bytes,
      worker,
      belowMs,
      (e) =>
        e.run(INPUT_NAME, OUTPUT_NAME, {
          data: new Float32Array(itemSize),
          dims: [1, 3, outHw[0], outHw[1]],
        }),
      opts.log,
    );
  }
  const queue = new InferenceQueue(runBatch, {
    itemSize,
    outSize: numLabels,
    maxBatch,
    batchWaitMs: opts.batchWaitMs,
    limit: opts.queueLimit,
    maxInFlight: engine.concurrentRuns,
  });
  return {
    name,
    sha256: await sha256,
    meta,
    engine: engine.kind,
    threads: engine.threads,
    inWorker: engine.inWorker,
    inputShape: [dynamicBatch ? -1 : 1, 3, outHw[0], outHw[1]],
    maxBatch,
    queue,
    infer: (inputs) => queue.infer(inputs),
    release: () => engine.release(),
  };
}
