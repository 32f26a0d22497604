import { assert } from "../shared/assert.ts";
import { EdgeError } from "./edge_error.ts";

/** Runs one batch: `input` is [n, ...itemDims] flattened; resolves to [n, outSize] flattened. */
export type BatchRunner = (input: Float32Array, n: number) => Promise<Float32Array>;

/** Options of `InferenceQueue`. */
export interface InferenceQueueOptions {
  /** Floats in one item (3*H*W). */
  itemSize: number;
  /** Floats in one item's output (number of classes). */
  outSize: number;
  /** Most items per run; 1 when the model's batch dimension is fixed. */
  maxBatch: number;
  /** How long a short batch waits for more items, in ms (0: run what is there now). */
  batchWaitMs: number;
  /** Most items waiting (not yet running); beyond it `enqueue` throws `overloaded`. */
  limit: number;
  /**
   * Most runs in flight at once (default 1: the runner is never called again before its last
   * run settles). An engine in a worker takes 2, so that the next run is already waiting in the
   * worker when the current one ends.
   */
  maxInFlight?: number;
}

interface Pending {
  input: Float32Array;
  resolve(out: Float32Array): void;
  reject(e: unknown): void;
}

/**
 * Serialises model runs: at most `maxInFlight` runs (normally one) at a time on the session, so
 * concurrent requests never collide, and when `maxBatch` > 1 it joins items from concurrent
 * requests into one batch (micro-batching).
 * The waiting line is bounded: past `limit` callers get 503 `overloaded` with Retry-After
 * instead of piling up.
 */
export class InferenceQueue {
  readonly #run: BatchRunner;
  readonly #opts: InferenceQueueOptions;
  #waiting: Pending[] = [];
  #pumping = false;
  #inFlight = 0;
  #runs = 0;

  constructor(run: BatchRunner, opts: InferenceQueueOptions) {
    assert(opts.maxBatch >= 1 && opts.limit >= 1, "maxBatch and limit must be >= 1");
    assert((opts.maxInFlight ?? 1) >= 1, "maxInFlight must be >= 1");
    this.#run = run;
    this.#opts = opts;
  }

  /** Items waiting to run. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Model runs so far (a batch of several items counts once). */
  get runs(): number {
    return this.#runs;
  }

  /**
   * Queues `inputs` (each [itemSize]); resolves to their outputs (each [outSize]) in order.
   * All or none are admitted: a request never gets half its images refused for load.
   */
  infer(inputs: Float32Array[]): Promise<Float32Array[]> {
    for (const x of inputs) {
      assert(x.length === this.#opts.itemSize, `item has ${x.length} floats`);
    }
    if (this.#waiting.length + inputs.length > this.#opts.limit) {
      const retryAfterS = 1;
      return Promise.reject(
        new EdgeError(
          "overloaded",
          `server busy: ${this.#waiting.length} images already waiting (limit ${this.#opts.limit})`,
          { retryAfterS },
        ),
      );
    }
    const promises = inputs.map((input) =>
      new Promise<Float32Array>((resolve, reject) => {
        this.#waiting.push({ input, resolve, reject });
      })
    );
    this.#pump();
    return Promise.all(promises);
  }

  /** Starts runs while items wait and a run slot is free; called on every arrival and end. */
  async #pump(): Promise<void> {
    // One pump at a time: a second one during the batch wait would start a half-empty batch.
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      const { maxBatch, batchWaitMs } = this.#opts;
      const maxInFlight = this.#opts.maxInFlight ?? 1;
      while (this.#waiting.length > 0 && this.#inFlight < maxInFlight) {
        if (maxBatch > 1 && batchWaitMs > 0 && this.#waiting.length < maxBatch) {
          await new Promise((r) => setTimeout(r, batchWaitMs));
        }
        const batch = this.#waiting.splice(0, maxBatch);
        this.#inFlight++;
        this.#runBatch(batch).finally(() => {
          this.#inFlight--;
          this.#pump();
        });
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #runBatch(batch: Pending[]): Promise<void> {
    const { itemSize, outSize } = this.#opts;
    const input = new Float32Array(batch.length * itemSize); // [n, ...itemDims]
    batch.forEach((p, i) => input.set(p.input, i * itemSize));
    try {
      this.#runs++;
      const out = await this.#run(input, batch.length); // [n, outSize]
      if (out.length !== batch.length * outSize) {
        throw new Error(`model returned ${out.length} values for ${batch.length} images`);
      }
      batch.forEach((p, i) => p.resolve(out.slice(i * outSize, (i + 1) * outSize)));
    } catch (e) {
      const err = e instanceof EdgeError
        ? e
        : new EdgeError("inference_failed", `inference failed: ${(e as Error).message}`, {
          cause: e,
        });
      for (const p of batch) p.reject(err);
    }
  }
}
