/**
 * Worker entry that owns one ONNX Runtime session (started by `createEngine` with
 * `worker: true`). onnxruntime-node runs a model synchronously on the thread that calls it; here
 * that thread is this worker's, so the server's JS thread keeps decoding and answering HTTP while
 * the model runs. Runs execute one at a time, in the order they arrive.
 * @module
 */
import { createEngine, type Engine, type EngineKind } from "./engine.ts";

/** Messages to the worker. */
export type ToWorker =
  | { type: "init"; kind: EngineKind; model: Uint8Array; threads: number }
  | {
    type: "run";
    id: number;
    inputName: string;
    outputName: string;
    data: Float32Array;
    dims: number[];
  }
  | { type: "release" };

/** Messages from the worker. */
export type FromWorker =
  | {
    type: "ready";
    kind: EngineKind;
    threads: number;
    inputNames: string[];
    outputNames: string[];
  }
  | { type: "result"; id: number; data: Float32Array; dims: number[] }
  | { type: "error"; id: number | null; message: string }
  | { type: "released" };

// The worker's global scope, typed here rather than with the deno.worker lib, which would leak
// into the window-typed program of everything that imports this module's types.
const scope = self as unknown as {
  postMessage(msg: FromWorker, opts: { transfer: Transferable[] }): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
};

let engine: Engine | undefined;
// Chains every message's work, so runs never overlap on the session and keep their order.
let chain: Promise<void> = Promise.resolve();

const reply = (msg: FromWorker, transfer: Transferable[] = []) =>
  scope.postMessage(msg, { transfer });

async function handle(msg: ToWorker): Promise<void> {
  if (msg.type === "init") {
    try {
      engine = await createEngine(msg.kind, msg.model, { threads: msg.threads });
      reply({
        type: "ready",
        kind: engine.kind,
        threads: engine.threads,
        inputNames: [...engine.inputNames],
        outputNames: [...engine.outputNames],
      });
    } catch (e) {
      reply({ type: "error", id: null, message: (e as Error).message });
    }
  } else if (msg.type === "run") {
    try {
      if (!engine) throw new Error("inference worker has no session");
      const out = await engine.run(msg.inputName, msg.outputName, {
        data: msg.data,
        dims: msg.dims,
      });
      reply({ type: "result", id: msg.id, data: out.data, dims: out.dims }, [
        out.data.buffer as ArrayBuffer,
      ]);
    } catch (e) {
      reply({ type: "error", id: msg.id, message: (e as Error).message });
    }
  } else if (msg.type === "release") {
    try {
      await engine?.release();
    } finally {
      engine = undefined;
      reply({ type: "released" });
    }
  }
}

scope.onmessage = (e) => {
  chain = chain.then(() => handle(e.data));
};
