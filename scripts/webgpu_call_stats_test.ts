import assert from "node:assert/strict";
import {
  CallRecorder,
  diffStats,
  summarizeStats,
  WEBGPU_METHODS,
  webgpuTargets,
} from "./webgpu_call_stats.ts";

/** Stand-ins with the shapes of the wrapped WebGPU methods. */
class FakeQueue {
  log: string[] = [];
  submit(buffers: unknown[]): number {
    this.log.push(`submit ${buffers.length}`);
    return buffers.length;
  }
  writeBuffer(_b: unknown, _off: number, data: ArrayBuffer, _dataOff?: number, size?: number) {
    this.log.push(`write ${size ?? data.byteLength}`);
  }
  fail(): never {
    throw new RangeError("boom");
  }
}

class FakeBuffer {
  resolveMap: (() => void) | null = null;
  mapAsync(): Promise<string> {
    return new Promise((resolve) => (this.resolveMap = () => resolve("mapped")));
  }
  rejectAsync(): Promise<never> {
    return Promise.reject(new Error("lost"));
  }
}

function install() {
  const rec = new CallRecorder();
  const keys = rec.install([
    { owner: "GPUQueue", proto: FakeQueue.prototype, methods: ["submit", "writeBuffer", "fail"] },
    {
      owner: "GPUBuffer",
      proto: FakeBuffer.prototype,
      methods: ["mapAsync", "rejectAsync", "missing"],
    },
  ]);
  return { rec, keys };
}

Deno.test("CallRecorder counts calls and keeps this, arguments and results", () => {
  const original = FakeQueue.prototype.submit;
  const { rec, keys } = install();
  try {
    assert.deepEqual(keys, [
      "GPUQueue.submit",
      "GPUQueue.writeBuffer",
      "GPUQueue.fail",
      "GPUBuffer.mapAsync",
      "GPUBuffer.rejectAsync",
    ]); // "missing" does not exist: skipped
    assert.notEqual(FakeQueue.prototype.submit, original);
    const q = new FakeQueue();
    assert.equal(q.submit([1, 2]), 2);
    assert.equal(q.submit([]), 0);
    q.writeBuffer({}, 0, new ArrayBuffer(64));
    q.writeBuffer({}, 0, new ArrayBuffer(64), 0, 12);
    assert.throws(() => q.fail(), RangeError);
    assert.deepEqual(q.log, ["submit 2", "submit 0", "write 64", "write 12"]);
    const s = rec.snapshot();
    assert.equal(s["GPUQueue.submit"].calls, 2);
    assert.equal(s["GPUQueue.writeBuffer"].calls, 2);
    assert.equal(s["GPUQueue.writeBuffer"].bytes, 76); // the size argument wins over byteLength
    assert.equal(s["GPUQueue.fail"].calls, 1);
    assert.ok(s["GPUQueue.submit"].ms >= 0);
  } finally {
    rec.uninstall();
  }
  assert.equal(FakeQueue.prototype.submit, original);
});

Deno.test("CallRecorder times a promise until it settles and passes rejections on", async () => {
  const { rec } = install();
  try {
    const b = new FakeBuffer();
    const p = b.mapAsync();
    await Promise.resolve();
    const pending = rec.snapshot()["GPUBuffer.mapAsync"];
    assert.equal(pending.calls, 1);
    assert.equal(pending.ms, 0); // not settled: no time booked yet
    const t = performance.now();
    while (performance.now() - t < 2) { /* let time pass before resolving */ }
    b.resolveMap!();
    assert.equal(await p, "mapped");
    await Promise.resolve();
    assert.ok(rec.snapshot()["GPUBuffer.mapAsync"].ms > 0); // booked when it settled
    await assert.rejects(b.rejectAsync(), /lost/);
    assert.equal(rec.snapshot()["GPUBuffer.rejectAsync"].calls, 1);
  } finally {
    rec.uninstall();
  }
});

Deno.test("diffStats keeps only what changed and summarizeStats totals it", () => {
  const before = {
    "GPUQueue.submit": { calls: 3, ms: 1, bytes: 0 },
    "GPUDevice.createBuffer": { calls: 5, ms: 2, bytes: 100 },
  };
  const after = {
    "GPUQueue.submit": { calls: 5, ms: 4, bytes: 0 },
    "GPUDevice.createBuffer": { calls: 5, ms: 2, bytes: 100 },
    "GPUBuffer.mapAsync": { calls: 1, ms: 10, bytes: 0 },
    "GPUComputePassEncoder.dispatchWorkgroups": { calls: 30, ms: 0.5, bytes: 0 },
    "GPUBuffer.getMappedRange": { calls: 4, ms: 20, bytes: 0 },
  };
  const d = diffStats(after, before);
  assert.deepEqual(Object.keys(d).sort(), [
    "GPUBuffer.getMappedRange",
    "GPUBuffer.mapAsync",
    "GPUComputePassEncoder.dispatchWorkgroups",
    "GPUQueue.submit",
  ]);
  assert.deepEqual(d["GPUQueue.submit"], { calls: 2, ms: 3, bytes: 0 });
  const s = summarizeStats(d);
  assert.equal(s.dispatches, 30);
  assert.equal(s.submits, 2);
  assert.equal(s.mapAsyncs, 1);
  assert.equal(s.mapAsyncMs, 10);
  assert.equal(s.mappedRanges, 4);
  assert.equal(s.mappedRangeMs, 20);
  assert.equal(s.syncApiMs, 23.5); // map waits are not synchronous API time; getMappedRange is
  assert.equal(s.pipelinesCreated, 0);
});

// On a machine with a WebGPU adapter (llvmpipe here), the wrappers see real calls exactly.
const adapter = await navigator.gpu?.requestAdapter().catch(() => null);
Deno.test({
  name: "CallRecorder counts real WebGPU calls of a write, copy, submit and map",
  ignore: !adapter,
  fn: async () => {
    const rec = new CallRecorder();
    const keys = rec.install(webgpuTargets());
    const device = await adapter!.requestDevice();
    try {
      assert.ok(keys.includes("GPUQueue.submit") && keys.includes("GPUBuffer.mapAsync"));
      const before = rec.snapshot();
      const src = device.createBuffer({
        size: 16,
        usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      const dst = device.createBuffer({
        size: 16,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(src, 0, new Float32Array([1, 2, 3, 4]));
      const enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(src, 0, dst, 0, 16);
      device.queue.submit([enc.finish()]);
      await dst.mapAsync(GPUMapMode.READ);
      assert.deepEqual([...new Float32Array(dst.getMappedRange())], [1, 2, 3, 4]);
      dst.unmap();
      const d = diffStats(rec.snapshot(), before);
      const calls = Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.calls]));
      assert.deepEqual(calls, {
        "GPUQueue.submit": 1,
        "GPUQueue.writeBuffer": 1,
        "GPUBuffer.mapAsync": 1,
        "GPUBuffer.getMappedRange": 1,
        "GPUBuffer.unmap": 1,
        "GPUDevice.createBuffer": 2,
        "GPUDevice.createCommandEncoder": 1,
        "GPUCommandEncoder.copyBufferToBuffer": 1,
        "GPUCommandEncoder.finish": 1,
      });
      assert.equal(d["GPUDevice.createBuffer"].bytes, 32);
      assert.equal(d["GPUQueue.writeBuffer"].bytes, 16);
      assert.equal(d["GPUCommandEncoder.copyBufferToBuffer"].bytes, 16);
    } finally {
      rec.uninstall();
      device.destroy();
    }
    // every listed class exists in this runtime
    assert.deepEqual(webgpuTargets().map((t) => t.owner), Object.keys(WEBGPU_METHODS));
  },
});
