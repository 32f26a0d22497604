/**
 * The only module that imports ONNX Runtime. Each build is loaded with a dynamic import, so a
 * Deno Deploy bundle that uses the web engine never needs the native addon.
 * @module
 */
import type { EngineChoice } from "./edge_config.ts";
import type { FromWorker, ToWorker } from "./ort_worker.ts";

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
  /** The session lives in a dedicated Worker (see `EngineOptions.worker`). */
  readonly inWorker: boolean;
  /**
   * Runs a caller may have in flight at once: 1 for a session on the caller's thread (runs must
   * not overlap), 2 in a worker, which queues the second and starts it the moment the first
   * ends instead of idling for a round trip to a busy JS thread.
   */
  readonly concurrentRuns: number;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs the model on `input` fed as `inputName`, returning `outputName`. Callers keep at most
   * `concurrentRuns` in flight (see InferenceQueue). A worker engine takes over `input.data`'s
   * buffer when the array spans all of it (it is transferred, and empty afterwards).
   */
  run(inputName: string, outputName: string, input: EngineTensor): Promise<EngineTensor>;
  release(): Promise<void>;
}

/** Options of `createEngine`. */
export interface EngineOptions {
  /** Threads for WASM workers / ORT intra-op; capped by the caller's config. */
  threads: number;
  /**
   * Run a native session in a dedicated Worker (edge/ort_worker.ts), so that inference overlaps
   * the caller's decoding and HTTP work on another core. Only for `native`: the web engine has
   * its own WASM threads, and Deno Deploy has no workers. A worker that cannot start falls back
   * to the caller's thread, logged. Default false.
   */
  worker?: boolean;
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
    inWorker: false,
    concurrentRuns: 1,
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

// Captured before any ORT build loads: importing onnxruntime-web replaces globalThis.Worker with
// Node's worker_threads class, whose workers have no `self` and cannot run ort_worker.ts.
const WebWorker = globalThis.Worker;

/** The worker could not run at all (as opposed to ORT refusing the model inside it). */
class WorkerStartError extends Error {}

/** How long `release` waits for the worker to free its session before terminating it. */
const RELEASE_TIMEOUT_MS = 5000;

/** An engine whose session lives in edge/ort_worker.ts; see `EngineOptions.worker`. */
function createInWorker(kind: EngineKind, model: Uint8Array, threads: number): Promise<Engine> {
  let worker: Worker;
  try {
    worker = new WebWorker(new URL("./ort_worker.ts", import.meta.url), { type: "module" });
  } catch (e) {
    return Promise.reject(new WorkerStartError((e as Error).message, { cause: e }));
  }
  type Waiter = { resolve(t: EngineTensor): void; reject(e: Error): void };
  const pending = new Map<number, Waiter>();
  let nextId = 0;
  let broken: Error | undefined;
  let started = false;
  let onReady!: { resolve(m: FromWorker & { type: "ready" }): void; reject(e: Error): void };
  const ready = new Promise<FromWorker & { type: "ready" }>((resolve, reject) => {
    onReady = { resolve, reject };
  });
  let onReleased: (() => void) | undefined;
  const post = (msg: ToWorker, transfer: Transferable[] = []) => worker.postMessage(msg, transfer);

  const failAll = (err: Error) => {
    broken ??= err;
    for (const w of pending.values()) w.reject(err);
    pending.clear();
    onReady.reject(started ? err : new WorkerStartError(err.message));
    onReleased?.();
  };
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    const m = e.data;
    if (m.type === "ready") {
      started = true;
      onReady.resolve(m);
    } else if (m.type === "result") {
      pending.get(m.id)?.resolve({ data: m.data, dims: m.dims });
      pending.delete(m.id);
    } else if (m.type === "error") {
      if (m.id === null) {
        started = true; // the worker runs; ORT itself refused
        onReady.reject(new Error(m.message));
      } else {
        pending.get(m.id)?.reject(new Error(m.message));
        pending.delete(m.id);
      }
    } else if (m.type === "released") {
      onReleased?.();
    }
  };
  worker.onerror = (e: ErrorEvent) => {
    // An uncaught error inside the worker (not an ORT error, which comes back as a message):
    // the session is gone, so every run in flight and after fails with this cause.
    e.preventDefault();
    failAll(new Error(`inference worker failed: ${e.message}`));
    worker.terminate();
  };
  worker.onmessageerror = () => failAll(new Error("inference worker sent an unreadable message"));
  // The model is copied (structured clone), not transferred: the caller keeps its bytes.
  post({ type: "init", kind, model, threads });

  return ready.then(
    (info): Engine => ({
      kind: info.kind,
      threads: info.threads,
      inWorker: true,
      concurrentRuns: 2,
      inputNames: info.inputNames,
      outputNames: info.outputNames,
      run(inputName, outputName, input) {
        if (broken) return Promise.reject(broken);
        let data = input.data;
        // Only a whole, unshared buffer can be transferred; anything else travels as a copy.
        const whole = data.buffer instanceof ArrayBuffer && data.byteOffset === 0 &&
          data.byteLength === data.buffer.byteLength;
        if (!whole) data = data.slice();
        const id = nextId++;
        return new Promise<EngineTensor>((resolve, reject) => {
          pending.set(id, { resolve, reject });
          post({ type: "run", id, inputName, outputName, data, dims: input.dims }, [
            data.buffer as ArrayBuffer,
          ]);
        });
      },
      async release() {
        if (!broken) {
          broken = new Error("engine released");
          const released = new Promise<void>((r) => (onReleased = r));
          post({ type: "release" });
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([
            released,
            new Promise<void>((r) => (timer = setTimeout(r, RELEASE_TIMEOUT_MS))),
          ]);
          clearTimeout(timer);
        }
        worker.terminate();
      },
    }),
    (e: Error) => {
      worker.terminate();
      throw e;
    },
  );
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
      if (kind === "native" && opts.worker) {
        try {
          return await createInWorker("native", model, threads);
        } catch (e) {
          if (!(e instanceof WorkerStartError)) throw e;
          log({
            msg: "inference worker did not start; running on the main thread",
            error: e.message,
          });
        }
      }
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
      worker: engine.inWorker,
    });
    return engine;
  }
  try {
    const engine = await attempt("native");
    log({
      msg: "engine selected",
      engine: "native",
      requested: "auto",
      threads,
      worker: engine.inWorker,
    });
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
