/**
 * Counts calls to WebGPU API methods and the wall time spent in them, by wrapping the methods
 * on their prototypes (GPUQueue.prototype.submit, GPUBuffer.prototype.mapAsync, ...). Used by
 * scripts/gpu_bench_tfjs.ts to find where a training step's time goes (per-dispatch overhead,
 * map latency, pipeline compilation); nothing in train/ or edge/ is instrumented.
 *
 * A method that returns a promise (mapAsync, createComputePipelineAsync) is timed until the
 * promise settles, so its `ms` is latency, overlapping whatever ran meanwhile; a synchronous
 * method's `ms` is time the JS thread spent inside it.
 *
 * @module
 */

/** One method's tally. */
export interface CallStat {
  calls: number;
  /** Wall time inside the call (sync) or until its promise settled (async), ms. */
  ms: number;
  /** Bytes passed, where the method has a size (createBuffer, writeBuffer, copyBufferToBuffer). */
  bytes: number;
}

/** Tallies keyed "Class.method", e.g. "GPUQueue.submit". */
export type CallStats = Record<string, CallStat>;

/** Methods of one prototype to wrap. */
export interface MethodTarget {
  /** Class name used in the keys. */
  owner: string;
  proto: object;
  methods: readonly string[];
}

/** Byte count of a call's arguments, for the methods that move or allocate memory. */
type BytesOf = (args: unknown[]) => number;

const BYTES_OF: Record<string, BytesOf> = {
  "GPUDevice.createBuffer": (a) => Number((a[0] as { size?: number })?.size ?? 0),
  // writeBuffer(buffer, bufferOffset, data, dataOffset?, size?): size, else the data's length
  "GPUQueue.writeBuffer": (a) =>
    a[4] !== undefined ? Number(a[4]) : Number((a[2] as ArrayBufferLike)?.byteLength ?? 0),
  // copyBufferToBuffer(src, srcOffset, dst, dstOffset, size)
  "GPUCommandEncoder.copyBufferToBuffer": (a) => Number(a[4] ?? 0),
};

/** The WebGPU methods a tfjs training step goes through, by class. */
export const WEBGPU_METHODS: Readonly<Record<string, readonly string[]>> = {
  GPUQueue: ["submit", "writeBuffer"],
  GPUBuffer: ["mapAsync", "getMappedRange", "unmap", "destroy"],
  GPUDevice: [
    "createBuffer",
    "createBindGroup",
    "createShaderModule",
    "createComputePipeline",
    "createComputePipelineAsync",
    "createCommandEncoder",
    "createQuerySet",
  ],
  GPUCommandEncoder: ["beginComputePass", "copyBufferToBuffer", "resolveQuerySet", "finish"],
  GPUComputePassEncoder: ["setPipeline", "setBindGroup", "dispatchWorkgroups", "end"],
  GPUComputePipeline: ["getBindGroupLayout"],
};

/** Targets for the WebGPU classes this runtime defines (none where WebGPU is absent). */
export function webgpuTargets(): MethodTarget[] {
  const g = globalThis as unknown as Record<string, { prototype?: object } | undefined>;
  return Object.entries(WEBGPU_METHODS).flatMap(([owner, methods]) => {
    const proto = g[owner]?.prototype;
    return proto === undefined ? [] : [{ owner, proto, methods }];
  });
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === "function";
}

/**
 * Wraps methods and keeps their tallies until `uninstall`. Wrapping is idempotent per recorder
 * and leaves `this`, arguments, return values and thrown errors untouched.
 */
export class CallRecorder {
  readonly #stats: CallStats = {};
  readonly #restore: (() => void)[] = [];

  /** Wraps every listed method that exists; returns the keys wrapped. */
  install(targets: readonly MethodTarget[]): string[] {
    const wrapped: string[] = [];
    for (const { owner, proto, methods } of targets) {
      for (const method of methods) {
        const key = `${owner}.${method}`;
        const desc = Object.getOwnPropertyDescriptor(proto, method);
        if (desc === undefined || typeof desc.value !== "function" || key in this.#stats) continue;
        const original = desc.value as (...args: unknown[]) => unknown;
        const stat: CallStat = { calls: 0, ms: 0, bytes: 0 };
        this.#stats[key] = stat;
        const bytesOf = BYTES_OF[key];
        const wrapper = function (this: unknown, ...args: unknown[]): unknown {
          stat.calls++;
          if (bytesOf !== undefined) stat.bytes += bytesOf(args);
          const t = performance.now();
          let result: unknown;
          try {
            result = original.apply(this, args);
          } catch (err) {
            stat.ms += performance.now() - t;
            throw err;
          }
          if (isThenable(result)) {
            // time to settlement; the caller still gets (and handles) the original promise
            const done = () => {
              stat.ms += performance.now() - t;
            };
            result.then(done, done);
          } else {
            stat.ms += performance.now() - t;
          }
          return result;
        };
        Object.defineProperty(proto, method, { ...desc, value: wrapper });
        this.#restore.push(() => Object.defineProperty(proto, method, desc));
        wrapped.push(key);
      }
    }
    return wrapped;
  }

  /** A copy of the tallies so far. */
  snapshot(): CallStats {
    return Object.fromEntries(Object.entries(this.#stats).map(([k, v]) => [k, { ...v }]));
  }

  /** Puts the original methods back. */
  uninstall(): void {
    for (const restore of this.#restore.splice(0).reverse()) restore();
  }
}

/** `after - before` per key, keeping only methods called in between; ms rounded to 0.01. */
export function diffStats(after: CallStats, before: CallStats): CallStats {
  const out: CallStats = {};
  for (const [key, a] of Object.entries(after)) {
    const b = before[key] ?? { calls: 0, ms: 0, bytes: 0 };
    const calls = a.calls - b.calls;
    if (calls === 0 && a.ms === b.ms) continue;
    out[key] = { calls, ms: Math.round((a.ms - b.ms) * 100) / 100, bytes: a.bytes - b.bytes };
  }
  return out;
}

/** Totals of a diff: synchronous API time, time awaiting maps, and the main counts. */
export function summarizeStats(d: CallStats): Record<string, number> {
  const get = (k: string) => d[k] ?? { calls: 0, ms: 0, bytes: 0 };
  const asyncKeys = ["GPUBuffer.mapAsync", "GPUDevice.createComputePipelineAsync"];
  const syncMs = Object.entries(d)
    .filter(([k]) => !asyncKeys.includes(k))
    .reduce((s, [, v]) => s + v.ms, 0);
  return {
    dispatches: get("GPUComputePassEncoder.dispatchWorkgroups").calls,
    submits: get("GPUQueue.submit").calls,
    submitMs: get("GPUQueue.submit").ms,
    mapAsyncs: get("GPUBuffer.mapAsync").calls,
    mapAsyncMs: get("GPUBuffer.mapAsync").ms,
    // tfjs's stock uploads map buffers: under Deno's wgpu each call waits for queued GPU work
    mappedRanges: get("GPUBuffer.getMappedRange").calls,
    mappedRangeMs: get("GPUBuffer.getMappedRange").ms,
    pipelinesCreated: get("GPUDevice.createComputePipeline").calls +
      get("GPUDevice.createComputePipelineAsync").calls,
    shaderModulesCreated: get("GPUDevice.createShaderModule").calls,
    pipelineMs: get("GPUDevice.createComputePipeline").ms +
      get("GPUDevice.createShaderModule").ms,
    buffersCreated: get("GPUDevice.createBuffer").calls,
    bindGroupsCreated: get("GPUDevice.createBindGroup").calls,
    writeBuffers: get("GPUQueue.writeBuffer").calls,
    writeBufferBytes: get("GPUQueue.writeBuffer").bytes,
    syncApiMs: Math.round(syncMs * 100) / 100,
  };
}
