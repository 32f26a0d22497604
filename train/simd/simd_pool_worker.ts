/**
 * Worker side of SimdPool (train/simd/simd_pool.ts): instantiates the shared-memory SIMD
 * module, then loops forever claiming posted jobs and running its share of them.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { CTL_BYTE_OFFSET, CTL_LAYOUT, JobState, TASKS, type WorkerInit } from "./simd_pool.ts";
import { setStackPointer } from "./simd_module.ts";

function serve(init: WorkerInit): never {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  setStackPointer(instance, init.stackTop);
  const ctl = new Int32Array(init.memory.buffer, CTL_BYTE_OFFSET, 64);
  const at = CTL_LAYOUT.CTL_STATE + init.thread;
  // Tell the pool this thread can take chunks from now on (SimdPool.whenReady).
  Atomics.store(ctl, CTL_LAYOUT.CTL_READY + init.thread, 1);
  Atomics.notify(ctl, CTL_LAYOUT.CTL_READY + init.thread);
  for (;;) {
    const state = Atomics.load(ctl, at);
    if (state !== JobState.POSTED) {
      Atomics.wait(ctl, at, state); // sleeps until the caller changes our word
      continue;
    }
    if (Atomics.compareExchange(ctl, at, JobState.POSTED, JobState.RUNNING) !== JobState.POSTED) {
      continue; // cancelled before we got here
    }
    let outcome = JobState.DONE;
    try {
      const task = instance.exports[TASKS[Atomics.load(ctl, CTL_LAYOUT.CTL_TASK)]] as (
        ...a: number[]
      ) => void;
      const n = Atomics.load(ctl, CTL_LAYOUT.CTL_NARGS);
      const args = Array.from(ctl.subarray(CTL_LAYOUT.CTL_ARGS, CTL_LAYOUT.CTL_ARGS + n));
      task(CTL_BYTE_OFFSET, ...args, init.thread);
    } catch (err) {
      console.error(`SimdPool worker ${init.thread}:`, err);
      outcome = JobState.FAILED;
    }
    Atomics.store(ctl, at, outcome);
    Atomics.notify(ctl, at);
  }
}

parentPort?.once("message", (init: WorkerInit) => serve(init));
