/**
 * A pool of threads running the SIMD module on one shared WebAssembly memory, so the big GEMMs
 * of a training step (convolution forward and gradients) use every core.
 *
 * The tfjs-wasm heap is not shared (its threaded build cannot start its workers under Deno),
 * so a pooled kernel copies its inputs into the pool's memory and its result back; that is
 * O(n) against the O(n * k) of the GEMM.
 *
 * Protocol (see also csrc/threaded_tasks.c): the calling thread writes the task and its
 * arguments into the control block and marks each worker's state word POSTED, then runs the
 * task itself as thread 0. Chunks of work come from an atomic counter, so nobody waits for a
 * worker that the OS has not scheduled: when the caller runs out of chunks it cancels (CAS
 * POSTED -> CANCELLED) any worker that has not claimed the job (CAS POSTED -> RUNNING) and
 * waits only for those that did. Workers block in Atomics.wait when idle and are unref'd, so
 * they never keep the process alive.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { compileSimdModule, setStackPointer, type SimdExports } from "./simd_module.ts";

/** Where the build script writes the shared-memory module. */
export const SIMD_MT_WASM_URL = new URL("../../.cache/edgeclass_simd_mt.wasm", import.meta.url);

/** Worker state words. */
export const JobState = { IDLE: 0, POSTED: 1, RUNNING: 2, DONE: 3, CANCELLED: 4, FAILED: 5 };

/** Int32 layout of the control block at CTL_BYTE_OFFSET. */
export const CTL_BYTE_OFFSET = 1024;
const CTL_COUNTER = 0; // C: next chunk
const CTL_WORKED = 1; // C: CTL_WORKED + t set once thread t did a chunk (up to 8 threads)
const CTL_STATE = 16; // CTL_STATE + w: state of worker w (1-based)
const CTL_READY = 24; // CTL_READY + w: 1 once worker w has its module instance and waits for jobs
const CTL_TASK = 32; // index into TASKS
const CTL_NARGS = 33;
const CTL_ARGS = 34;
const MAX_ARGS = 40;
const MAX_THREADS = 8;

/** Task entry points a job may name (indexes are shared with the worker). */
export const TASKS = [
  "conv_dw_slot_task",
  "conv_dw_rows_task",
  "conv_dx_task",
  "conv_fwd_task",
] as const;
export type TaskName = typeof TASKS[number];

const STACK_BYTES = 64 * 1024;
/** The arena starts after the control page and the per-thread stacks. */
const FIRST_FREE = 65536 + MAX_THREADS * STACK_BYTES;
const PAGE = 65536;
/** 2 GiB, the maximum the _mt module declares. */
const MAX_PAGES = 32768;

/** Message a worker gets once, at start. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  thread: number;
  stackTop: number;
}

/** Threads the pool uses by default: all cores, from EDGECLASS_SIMD_THREADS if set. */
export function defaultThreadCount(): number {
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get("EDGECLASS_SIMD_THREADS");
  } catch {
    fromEnv = undefined; // no --allow-env: use the core count
  }
  const n = fromEnv !== undefined ? Number(fromEnv) : navigator.hardwareConcurrency;
  return Number.isInteger(n) && n >= 1 ? Math.min(n, MAX_THREADS) : 1;
}

/** The pool: one shared memory, the calling thread as thread 0, and threads - 1 workers. */
export class SimdPool {
  readonly threads: number;
  readonly memory: WebAssembly.Memory;
  readonly exports: SimdExports;
  readonly #workers: Worker[] = [];
  readonly #ctl: Int32Array;
  #top = FIRST_FREE;

  constructor(threads: number, url: URL = SIMD_MT_WASM_URL) {
    if (!(threads >= 1 && threads <= MAX_THREADS)) {
      throw new RangeError(`SimdPool: threads must be 1..${MAX_THREADS}, got ${threads}`);
    }
    this.threads = threads;
    const module = compileSimdModule(url);
    this.memory = new WebAssembly.Memory({
      initial: FIRST_FREE / PAGE + 256,
      maximum: MAX_PAGES,
      shared: true,
    });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    setStackPointer(instance, 65536 + STACK_BYTES);
    this.exports = instance.exports as unknown as SimdExports;
    this.#ctl = new Int32Array(this.memory.buffer, CTL_BYTE_OFFSET, 64);
    for (let t = 1; t < threads; t++) {
      const worker = new Worker(new URL("./simd_pool_worker.ts", import.meta.url));
      const init: WorkerInit = {
        module,
        memory: this.memory,
        thread: t,
        stackTop: 65536 + (t + 1) * STACK_BYTES,
      };
      worker.postMessage(init);
      worker.unref(); // an idle worker must not keep the process alive
      this.#workers.push(worker);
    }
  }

  /** Byte offset of the control block (the `ctl` argument of every task). */
  get ctl(): number {
    return CTL_BYTE_OFFSET;
  }

  /** Frees every arena allocation (call at the start of each kernel). */
  reset(): void {
    this.#top = FIRST_FREE;
  }

  /** `bytes` bytes of the arena, 16-byte aligned, valid until the next reset. */
  alloc(bytes: number): number {
    const ptr = this.#top;
    const end = ptr + Math.ceil(bytes / 16) * 16;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) {
        throw new RangeError(`SimdPool: ${end} bytes exceed the pool's 2 GiB`);
      }
      this.memory.grow(pages);
    }
    this.#top = end;
    return ptr;
  }

  /** Copies `bytes` bytes at `offset` of `source` into a new arena block; returns it. */
  copyIn(source: ArrayBufferLike, offset: number, bytes: number): number {
    const ptr = this.alloc(bytes);
    new Uint8Array(this.memory.buffer, ptr, bytes).set(new Uint8Array(source, offset, bytes));
    return ptr;
  }

  /** Copies `bytes` bytes from the arena at `ptr` to `offset` of `target`. */
  copyOut(ptr: number, target: ArrayBufferLike, offset: number, bytes: number): void {
    new Uint8Array(target, offset, bytes).set(new Uint8Array(this.memory.buffer, ptr, bytes));
  }

  /**
   * Runs `task(ctl, ...args, thread)` on every thread that gets to it and returns when all work
   * is done. After it returns, `ctl[1 + t]` says whether thread t did any chunk.
   *
   * @param callerWorks false leaves all chunks to the workers and waits for them (tests use it
   *   to be sure the worker side runs; it needs at least one worker)
   */
  run(task: TaskName, args: number[], callerWorks = true): void {
    if (args.length > MAX_ARGS) throw new RangeError(`SimdPool: too many args for ${task}`);
    const ctl = this.#ctl;
    Atomics.store(ctl, CTL_COUNTER, 0);
    for (let t = 0; t < MAX_THREADS; t++) Atomics.store(ctl, CTL_WORKED + t, 0);
    Atomics.store(ctl, CTL_TASK, TASKS.indexOf(task));
    Atomics.store(ctl, CTL_NARGS, args.length);
    args.forEach((a, i) => Atomics.store(ctl, CTL_ARGS + i, a));
    for (let w = 1; w < this.threads; w++) {
      Atomics.store(ctl, CTL_STATE + w, JobState.POSTED);
      Atomics.notify(ctl, CTL_STATE + w);
    }
    if (!callerWorks && this.threads < 2) throw new RangeError("SimdPool: no worker to run on");
    const fn = this.exports[task];
    let failure: unknown = null;
    try {
      if (callerWorks) {
        fn(CTL_BYTE_OFFSET, ...args, 0);
      } else {
        // Wait until worker 1 has claimed and finished the job.
        const at = CTL_STATE + 1;
        for (
          let s = Atomics.load(ctl, at);
          s === JobState.POSTED || s === JobState.RUNNING;
          s = Atomics.load(ctl, at)
        ) {
          Atomics.wait(ctl, at, s, 1000);
        }
      }
    } catch (err) {
      failure = err;
      Atomics.store(ctl, CTL_COUNTER, 1 << 30); // stop workers from taking more chunks
    }
    for (let w = 1; w < this.threads; w++) {
      const at = CTL_STATE + w;
      if (
        Atomics.compareExchange(ctl, at, JobState.POSTED, JobState.CANCELLED) !== JobState.POSTED
      ) {
        // The worker claimed the job: wait for it to finish its chunk(s).
        while (Atomics.load(ctl, at) === JobState.RUNNING) Atomics.wait(ctl, at, JobState.RUNNING);
        if (Atomics.load(ctl, at) === JobState.FAILED) {
          failure ??= new Error(`SimdPool: ${task} failed on worker ${w}`);
        }
      }
      Atomics.store(ctl, at, JobState.IDLE);
      Atomics.notify(ctl, at);
    }
    if (failure !== null) throw failure;
  }

  /**
   * Resolves once every worker has started and waits for jobs, or after `timeoutMs` (then with
   * false). Jobs posted before that still complete, on the threads that are up (a worker that
   * is still loading just misses them), so waiting is only about getting every core from the
   * first step: starting a worker (module load, instantiation) takes longer than several
   * convolutions.
   */
  async whenReady(timeoutMs = 10_000): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    for (let w = 1; w < this.threads; w++) {
      const at = CTL_READY + w;
      while (Atomics.load(this.#ctl, at) !== 1) {
        const left = deadline - performance.now();
        if (left <= 0) return false;
        // A timer, not Atomics.waitAsync: the workers are unref'd and a pending waitAsync does
        // not keep Deno's event loop alive, so nothing else would stop it from exiting.
        await new Promise((resolve) => setTimeout(resolve, Math.min(2, left)));
      }
    }
    return true;
  }

  /** Whether thread t did at least one chunk of the last run. */
  worked(thread: number): boolean {
    return Atomics.load(this.#ctl, CTL_WORKED + thread) === 1;
  }

  /** Stops the workers; the pool must not be used afterwards. */
  close(): void {
    for (const w of this.#workers) w.terminate();
    this.#workers.length = 0;
  }
}

let shared: SimdPool | null | undefined;

/**
 * The process-wide pool, created on first call with defaultThreadCount() threads; null when
 * that is 1 (nothing to gain from copying into a pool).
 */
export function getSimdPool(): SimdPool | null {
  if (shared === undefined) {
    const threads = defaultThreadCount();
    shared = threads > 1 ? new SimdPool(threads) : null;
  }
  return shared;
}

/**
 * Replaces the process-wide pool (null: no pool, everything in place); closes the old one.
 * For tests and benchmarks; undefined goes back to the default on next use.
 */
export function setSimdPool(pool: SimdPool | null | undefined): void {
  if (shared !== pool) shared?.close();
  shared = pool;
}

/** Int32 control-block indexes the worker needs. */
export const CTL_LAYOUT = { CTL_STATE, CTL_READY, CTL_TASK, CTL_NARGS, CTL_ARGS };
