/**
 * The only module that imports ONNX Runtime. Each build is loaded with a dynamic import, so a
 * Deno Deploy bundle that uses the web engine never needs the native addon.
 * @module
 */
import type { EngineChoice } from "./edge_config.ts";

/** The ONNX Runtime builds the edge can run on. */
export type EngineKind = "web" | "native" | "webgpu";

/** One float32 tensor in or out of the model. */
export interface EngineTensor {
  data: Float32Array;
  dims: number[];
}

/** A loaded ONNX session with one float32 input and one float32 output. */
export interface Engine {
  readonly kind: EngineKind;
  /** Threads the engine was configured with. */
  readonly threads: number;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model on `input` fed as `inputName`, returning `outputName`. Not re-entrant safe:
   * callers serialise runs (see InferenceQueue). */
  run(inputName: string, outputName: string, input: EngineTensor): Promise<EngineTensor>;
  release(): Promise<void>;
}

/** Options of `createEngine`. */
export interface EngineOptions {
  /** Threads for WASM workers / ORT intra-op; capped by the caller's config. */
  threads: number;
  /** Told which engine was chosen and why a fallback happened. */
  log?: (record: Record<string, unknown>) => void;
}

// The web builds need their .wasm bytes. Importing them as bytes works without read permission
// (deploy permissions grant read of the model only); without --unstable-raw-imports that import
// fails and ORT reads the file itself, which needs read access to node_modules.
async function wasmBytes(file: "plain" | "asyncify"): Promise<Uint8Array | undefined> {
  try {
    const mod = file === "plain"
      ? await import("onnxruntime-web/ort-wasm-simd-threaded.wasm", { with: { type: "bytes" } })
      : await import("onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm", {
        with: { type: "bytes" },
      });
    return mod.default as Uint8Array;
  } catch {
    return undefined;
  }
}

type Ort = typeof import("onnxruntime-web");

// ORT's intra-op workers spin-wait between runs by default. A server does JS work (HTTP,
// decode, preprocess) between runs, so the spinning burned a core it needed: on 2 cores with
// 2 threads it doubled CPU per request and halved SimpleCNN req/s (scripts/bench http).
const NO_SPINNING = { session: { intra_op: { allow_spinning: "0" } } };

function wrap(
  ort: Ort,
  session: Awaited<ReturnType<Ort["InferenceSession"]["create"]>>,
  kind: EngineKind,
  threads: number,
): Engine {
  return {
    kind,
    threads,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(inputName, outputName, input) {
      const tensor = new ort.Tensor("float32", input.data, input.dims);
      const out = await session.run({ [inputName]: tensor }, [outputName]);
      const result = out[outputName];
      try {
        if (result.type !== "float32") {
          throw new TypeError(`output '${outputName}' is ${result.type}, expected float32`);
        }
        // getData copies GPU-resident outputs down; for CPU outputs it returns the same buffer.
        const data = (await result.getData()) as Float32Array;
        return { data: new Float32Array(data), dims: [...result.dims] };
      } finally {
        result.dispose();
        tensor.dispose();
      }
    },
    release: () => session.release(),
  };
}

async function createWeb(model: Uint8Array, threads: number): Promise<Engine> {
  const ort = await import("onnxruntime-web");
  const wasm = await wasmBytes("plain");
  if (wasm) ort.env.wasm.wasmBinary = wasm;
  ort.env.wasm.numThreads = threads;
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
    extra: NO_SPINNING,
  });
  return wrap(ort, session, "web", threads);
}

async function createNative(model: Uint8Array, threads: number): Promise<Engine> {
  const ort = await import("onnxruntime-node");
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ["cpu"],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    extra: NO_SPINNING,
  });
  // onnxruntime-node and -web share onnxruntime-common's types; the cast only names that.
  return wrap(ort as unknown as Ort, session as never, "native", threads);
}

async function createWebGpu(model: Uint8Array): Promise<Engine> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } })?.gpu;
  if (!gpu) throw new Error("navigator.gpu is not available in this runtime");
  if (!(await gpu.requestAdapter())) throw new Error("no WebGPU adapter found");
  const ort = await import("onnxruntime-web/webgpu");
  const wasm = await wasmBytes("asyncify");
  if (wasm) ort.env.wasm.wasmBinary = wasm;
  // The webgpu entry is a browser build: its worker proxy and threads break on Deno's paths.
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const session = await ort.InferenceSession.create(model, { executionProviders: ["webgpu"] });
  return wrap(ort, session, "webgpu", 1);
}

/**
 * Loads `model` (the .onnx bytes) on the engine `choice`. `auto` tries native and falls back to
 * web when the addon cannot load (no FFI permission, other platform), logging the choice.
 * Throws an Error naming the engine when the requested one cannot start.
 */
export async function createEngine(
  choice: EngineChoice,
  model: Uint8Array,
  opts: EngineOptions,
): Promise<Engine> {
  const log = opts.log ?? (() => {});
  const threads = Math.max(1, Math.floor(opts.threads));
  const attempt = async (kind: EngineKind): Promise<Engine> => {
    try {
      if (kind === "native") return await createNative(model, threads);
      if (kind === "webgpu") return await createWebGpu(model);
      return await createWeb(model, threads);
    } catch (e) {
      throw new Error(`engine '${kind}' failed to start: ${(e as Error).message}`, { cause: e });
    }
  };
  if (choice !== "auto") {
    const engine = await attempt(choice);
    log({
      msg: "engine selected",
      engine: engine.kind,
      requested: choice,
      threads: engine.threads,
    });
    return engine;
  }
  try {
    const engine = await attempt("native");
    log({ msg: "engine selected", engine: "native", requested: "auto", threads });
    return engine;
  } catch (e) {
    const engine = await attempt("web");
    log({
      msg: "engine selected",
      engine: "web",
      requested: "auto",
      threads,
      fallback_reason: (e as Error).message,
    });
    return engine;
  }
}
