/**
 * Raw WebGPU measurements without tfjs, on their own device: what a GPU round trip, a dispatch
 * and arithmetic cost in this runtime. scripts/gpu_bench_tfjs.ts runs it to tell a slow GPU
 * (software adapter, low GFLOP/s) from a slow runtime (map latency, per-dispatch overhead).
 *
 * - roundTrip: copy 4 bytes into a MAP_READ buffer, submit, `await mapAsync`: the latency every
 *   tfjs read (`await tensor.data()`) pays at least once.
 * - dispatch: `n` tiny dispatches, each with its own uniform write and bind group and a submit
 *   every 15 (as tfjs-backend-webgpu records them), then one read; checks the result.
 * - fma: a compute-bound shader (independent vec4 multiply-add chains), its GPU time from
 *   timestamp queries where the device has them, else wall time including one round trip;
 *   the work grows until it takes over ~20 ms. Checks thread 0's result against float32 math.
 *
 * @module
 */

/** What `probeWebgpu` measured; each part has its own `error` if it failed. */
export interface ProbeResult {
  adapter?: string;
  timestampQuery?: boolean;
  roundTrip?: { samplesMs: number[]; medianMs: number; error?: string };
  dispatch?: {
    n: number;
    encodeMs: number;
    totalMs: number;
    perDispatchMs: number;
    correct: boolean;
    error?: string;
  };
  fma?: {
    runs: { threads: number; iters: number; gflop: number; gpuMs: number | null; wallMs: number }[];
    bestGflops: number;
    timing: "timestamp-query" | "wall";
    correct: boolean;
    error?: string;
  };
  ms?: number;
  error?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}

/** Reads `size` bytes of `src` back through a fresh MAP_READ buffer. */
async function readBack(device: GPUDevice, src: GPUBuffer, size: number): Promise<ArrayBuffer> {
  const staging = device.createBuffer({
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, staging, 0, size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  return copy;
}

async function roundTrips(device: GPUDevice, n: number): Promise<ProbeResult["roundTrip"]> {
  const src = device.createBuffer({
    size: 4,
    usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await readBack(device, src, 4);
    samples.push(r2(performance.now() - t));
  }
  src.destroy();
  return { samplesMs: samples, medianMs: r2(median(samples)) };
}

const ADD_ONE_WGSL = `
struct U { n: u32, inc: f32 }
@group(0) @binding(0) var<storage, read_write> data: array<f32>;
@group(0) @binding(1) var<uniform> u: U;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < u.n) { data[id.x] = data[id.x] + u.inc; }
}`;

async function dispatches(
  device: GPUDevice,
  n: number,
  roundTripMs: number,
): Promise<ProbeResult["dispatch"]> {
  const pipeline = device.createComputePipeline({
    layout: "auto",
    compute: { module: device.createShaderModule({ code: ADD_ONE_WGSL }), entryPoint: "main" },
  });
  const len = 256;
  const data = device.createBuffer({
    size: len * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  const uniforms = Array.from(
    { length: n },
    () =>
      device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }),
  );
  const t = performance.now();
  let enc = device.createCommandEncoder();
  let pass = enc.beginComputePass();
  for (let i = 0; i < n; i++) {
    // a fresh uniform write and bind group per dispatch, like tfjs's recordAndSubmit
    const u = new ArrayBuffer(16);
    new Uint32Array(u, 0, 1)[0] = len;
    new Float32Array(u, 4, 1)[0] = 1;
    device.queue.writeBuffer(uniforms[i], 0, u);
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: data } }, {
        binding: 1,
        resource: { buffer: uniforms[i] },
      }],
    });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(len / 64));
    if ((i + 1) % 15 === 0 || i === n - 1) {
      pass.end();
      device.queue.submit([enc.finish()]);
      enc = device.createCommandEncoder();
      pass = enc.beginComputePass();
    }
  }
  pass.end();
  const encodeMs = performance.now() - t;
  const out = new Float32Array(await readBack(device, data, len * 4));
  const totalMs = performance.now() - t;
  for (const b of [data, ...uniforms]) b.destroy();
  return {
    n,
    encodeMs: r2(encodeMs),
    totalMs: r2(totalMs),
    perDispatchMs: Math.round(Math.max(0, totalMs - roundTripMs) / n * 1000) / 1000,
    correct: out.every((v) => v === n),
  };
}

function fmaWgsl(iters: number): string {
  return `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  var a = vec4<f32>(f32(id.x % 7u) * 0.01, 0.1, 0.2, 0.3);
  var b = vec4<f32>(0.4, 0.5, 0.6, 0.7);
  let m = vec4<f32>(0.999);
  let c = vec4<f32>(0.001);
  for (var i = 0u; i < ${iters}u; i = i + 1u) {
    a = fma(a, m, c);
    b = fma(b, m, c);
  }
  let s = a + b;
  out[id.x] = s.x + s.y + s.z + s.w;
}`;
}

/** Thread 0's value of fmaWgsl in float32 (fma rounded once, the rest like the shader). */
function fmaReference(iters: number): number {
  const f = Math.fround;
  const a = [0, 0.1, 0.2, 0.3].map(f);
  const b = [0.4, 0.5, 0.6, 0.7].map(f);
  const m = f(0.999), c = f(0.001);
  for (let i = 0; i < iters; i++) {
    for (let k = 0; k < 4; k++) {
      a[k] = f(a[k] * m + c);
      b[k] = f(b[k] * m + c);
    }
  }
  const s = a.map((v, k) => f(v + b[k]));
  return f(f(f(s[0] + s[1]) + s[2]) + s[3]);
}

async function fmaThroughput(device: GPUDevice, timestamps: boolean): Promise<ProbeResult["fma"]> {
  const runs: NonNullable<ProbeResult["fma"]>["runs"] = [];
  let correct = true;
  const threads = 1 << 18;
  const out = device.createBuffer({
    size: threads * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
  const querySet = timestamps ? device.createQuerySet({ type: "timestamp", count: 2 }) : null;
  const resolve = timestamps
    ? device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    })
    : null;
  // 2^18 threads x iters x 2 chains x 4 lanes x 2 flops; grows x8 until a run takes > 20 ms
  for (let iters = 64; iters <= 64 * 8 ** 4; iters *= 8) {
    const pipeline = device.createComputePipeline({
      layout: "auto",
      compute: { module: device.createShaderModule({ code: fmaWgsl(iters) }), entryPoint: "main" },
    });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: out } }],
    });
    const t = performance.now();
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass(
      querySet
        ? {
          timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
        }
        : {},
    );
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(threads / 256);
    pass.end();
    if (querySet && resolve) enc.resolveQuerySet(querySet, 0, 2, resolve, 0);
    device.queue.submit([enc.finish()]);
    const first = new Float32Array(await readBack(device, out, 4))[0];
    const wallMs = performance.now() - t;
    let gpuMs: number | null = null;
    if (resolve) {
      const ts = new BigUint64Array(await readBack(device, resolve, 16));
      // WebGPU timestamps are ns (wgpu leaves them in ticks, which are ns on NVIDIA)
      gpuMs = ts[1] > ts[0] ? Number(ts[1] - ts[0]) / 1e6 : null;
    }
    const ref = fmaReference(iters);
    if (!(Math.abs(first - ref) <= 1e-3 * Math.abs(ref))) correct = false;
    const gflop = threads * iters * 16 / 1e9;
    runs.push({
      threads,
      iters,
      gflop: r2(gflop),
      gpuMs: gpuMs === null ? null : Math.round(gpuMs * 1000) / 1000,
      wallMs: r2(wallMs),
    });
    if ((gpuMs ?? wallMs) > 20) break;
  }
  out.destroy();
  resolve?.destroy();
  querySet?.destroy();
  const rates = runs.map((r) => r.gflop / ((r.gpuMs ?? r.wallMs) / 1000));
  return {
    runs,
    bestGflops: Math.round(Math.max(...rates)),
    timing: querySet ? "timestamp-query" : "wall",
    correct,
  };
}

/** Runs the three probes on a new device of the high-performance adapter; never throws. */
export async function probeWebgpu(opts: { dispatches?: number; roundTrips?: number } = {}): Promise<
  ProbeResult
> {
  const t0 = performance.now();
  const result: ProbeResult = {};
  let device: GPUDevice | undefined;
  try {
    const adapter = await navigator.gpu?.requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) return { error: "no WebGPU adapter" };
    result.adapter = adapter.info.description || adapter.info.vendor;
    const timestamps = adapter.features.has("timestamp-query");
    result.timestampQuery = timestamps;
    device = await adapter.requestDevice({
      requiredFeatures: timestamps ? ["timestamp-query"] : [],
    });
    const d = device;
    const part = async <T>(f: () => Promise<T>): Promise<T | { error: string }> => {
      try {
        return await f();
      } catch (err) {
        return { error: errorText(err) };
      }
    };
    result.roundTrip = await part(() => roundTrips(d, opts.roundTrips ?? 10)) as ProbeResult[
      "roundTrip"
    ];
    const rt = result.roundTrip?.medianMs ?? 0;
    result.dispatch = await part(() => dispatches(d, opts.dispatches ?? 300, rt)) as ProbeResult[
      "dispatch"
    ];
    result.fma = await part(() => fmaThroughput(d, timestamps)) as ProbeResult["fma"];
  } catch (err) {
    result.error = errorText(err);
  } finally {
    device?.destroy();
  }
  result.ms = Math.round(performance.now() - t0);
  return result;
}
