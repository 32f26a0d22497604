import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { chooseBackend } from "../backend.ts";
import { applyWebgpuPatches, webgpuPatchesActive } from "./webgpu_patches.ts";
import { webgpuTestGate } from "./webgpu_missing.ts";
import { tensorBufferUsage, type WebgpuBackendInternals } from "./write_buffer_uploads.ts";

const { ignore, requireWebgpu } = await webgpuTestGate("write_buffer_uploads_test");

/** Counts GPUBuffer.getMappedRange calls while `f` runs (reads call it too: keep them out). */
async function countMappedRanges(f: () => Promise<void> | void): Promise<number> {
  const proto = GPUBuffer.prototype;
  const original = proto.getMappedRange;
  let calls = 0;
  proto.getMappedRange = function (this: GPUBuffer, ...args: [number?, number?]) {
    calls++;
    return original.apply(this, args);
  };
  try {
    await f();
  } finally {
    proto.getMappedRange = original;
  }
  return calls;
}

/** Runs `f` with tfjs flags set, restoring them after. */
async function withFlags<T>(flags: Record<string, number | boolean>, f: () => Promise<T>) {
  const saved = Object.fromEntries(Object.keys(flags).map((k) => [k, tf.env().get(k)]));
  try {
    for (const [k, v] of Object.entries(flags)) tf.env().set(k, v);
    return await f();
  } finally {
    for (const [k, v] of Object.entries(saved)) tf.env().set(k, v);
  }
}

async function webgpu(): Promise<WebgpuBackendInternals> {
  await chooseBackend("webgpu", () => {});
  return tf.backend() as unknown as WebgpuBackendInternals;
}

Deno.test({
  name: "writeBuffer uploads of float32, int32 and bool read back equal, in tfjs's buffers",
  ignore,
  async fn() {
    requireWebgpu();
    const backend = await webgpu();
    assert.ok(webgpuPatchesActive());
    const f32 = [0, -1.5, 3.25, 1e-30, -3.4e38, Infinity, -Infinity, NaN, 7, 8, 9];
    const i32 = [0, 1, -1, 2147483647, -2147483648, 12345, -777];
    const bools = [true, false, false, true, true];
    const cases: { t: tf.Tensor; want: number[] }[] = [
      { t: tf.tensor1d(f32, "float32"), want: f32.map(Math.fround) },
      { t: tf.tensor1d(i32, "int32"), want: i32 },
      { t: tf.tensor1d(bools, "bool"), want: bools.map(Number) },
      { t: tf.scalar(0.9), want: [Math.fround(0.9)] },
      // from a Float64 source: tfjs narrows to float32 on creation
      {
        t: tf.tensor2d([[1 / 3, 2 / 3], [1, 4 / 3]]),
        want: [1 / 3, 2 / 3, 1, 4 / 3].map(Math.fround),
      },
    ];
    const mapped = await countMappedRanges(() => {
      for (const { t } of cases) backend.uploadToGPU(t.dataId);
    });
    assert.equal(mapped, 0, "no getMappedRange for uploads");
    for (const { t, want } of cases) {
      const entry = backend.tensorMap.get(t.dataId);
      assert.equal(entry.values, null, `${t.dtype}: no CPU copy kept after the upload`);
      assert.ok(entry.resource instanceof GPUBuffer);
      assert.equal((entry.resource as GPUBuffer).usage, tensorBufferUsage());
      assert.equal((entry.resource as GPUBuffer).size, 4 * t.size);
      // values are null: data() reads the GPU buffer back
      assert.deepEqual(Array.from(await t.data(), Number), want, t.dtype);
    }
    tf.dispose(cases.map((c) => c.t));
  },
});

/**
 * A loop of uploads and ops whose inputs are disposed while the ops are still unsubmitted, so
 * pooled buffers come back while commands reading them are pending; returns the sums.
 */
function uploadLoop(rounds: number, size: number, offset: number) {
  let f = tf.zeros([size]);
  let i = tf.zeros([size], "int32");
  for (let r = 0; r < rounds; r++) {
    // tidy disposes the three uploads (and the temporaries) while the ops reading them may be
    // unsubmitted: where(mask, fv, 0) + f and i + iv
    const [next, nextI] = tf.tidy(() => {
      const fv = tf.tensor1d(Float32Array.from({ length: size }, (_, k) => (k % 13) + r + offset));
      const iv = tf.tensor1d(Int32Array.from({ length: size }, (_, k) => k - r * offset), "int32");
      const mask = tf.tensor1d(
        Uint8Array.from({ length: size }, (_, k) => Number((k + r) % 3 === 0)),
        "bool",
      );
      return [tf.add(f, tf.where(mask, fv, tf.zerosLike(fv))), tf.add(i, iv)];
    });
    tf.dispose([f, i]);
    f = next;
    i = nextI;
  }
  return { f, i };
}

function expectedLoop(rounds: number, size: number, offset: number) {
  const f = new Float64Array(size);
  const i = new Float64Array(size);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < size; k++) {
      if ((k + r) % 3 === 0) f[k] += (k % 13) + r + offset;
      i[k] += k - r * offset;
    }
  }
  return { f: Array.from(f), i: Array.from(i) };
}

Deno.test({
  name: "writeBuffer uploads stay correct when pooled buffers are reused around pending commands",
  ignore,
  async fn() {
    requireWebgpu();
    const backend = await webgpu();
    // sizes over tfjs's CPU-forwarding threshold (1000), so the ops run on the GPU
    const size = 1500;
    const rounds = 12;
    // submit at reads only (everything pending), after every dispatch, and tfjs's default
    for (const batch of [1_000_000, 1, 15]) {
      await withFlags({ WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: batch }, async () => {
        for (const pass of [0, 1]) {
          const offset = 10 * pass + batch % 7;
          const allocated = backend.bufferManager.numBytesAllocated;
          let sums: { f: tf.Tensor; i: tf.Tensor } | null = null;
          const mapped = await countMappedRanges(() => {
            sums = uploadLoop(rounds, size, offset);
          });
          assert.equal(mapped, 0, `batch ${batch}: no getMappedRange before the read`);
          const { f, i } = sums!;
          const want = expectedLoop(rounds, size, offset);
          assert.deepEqual(Array.from(await f.data()), want.f, `batch ${batch} pass ${pass} f32`);
          assert.deepEqual(Array.from(await i.data()), want.i, `batch ${batch} pass ${pass} i32`);
          tf.dispose([f, i]);
          if (pass === 1) {
            // the second pass finds every buffer it needs in the pool
            assert.equal(backend.bufferManager.numBytesAllocated, allocated, "buffers reused");
          }
        }
      });
    }
  },
});

Deno.test({
  name: "EDGECLASS_WEBGPU_PATCHES=0 and other versions leave tfjs's mapped uploads in place",
  ignore,
  async fn() {
    requireWebgpu();
    const backend = await webgpu();
    const proto = Object.getPrototypeOf(backend) as WebgpuBackendInternals;
    const conv = () => tf.getKernel(tf.Conv2DBackpropFilter, "webgpu").kernelFunc;
    const patchedConv = conv();
    assert.ok(webgpuPatchesActive());
    assert.notEqual(backend.uploadToGPU, proto.uploadToGPU);
    const uploads = async () => {
      const t = tf.tensor1d(Float32Array.from({ length: 2000 }, (_, k) => k / 7));
      const n = await countMappedRanges(() => backend.uploadToGPU(t.dataId));
      assert.deepEqual(
        Array.from(await t.data()),
        Array.from({ length: 2000 }, (_, k) => Math.fround(k / 7)),
      );
      t.dispose();
      return n;
    };
    assert.equal(await uploads(), 0);

    Deno.env.set("EDGECLASS_WEBGPU_PATCHES", "0");
    let stockConv: unknown = null;
    try {
      const used = await chooseBackend("webgpu", () => {});
      assert.match(used.reasons.join("\n"), /patches off/);
      assert.equal(webgpuPatchesActive(), false);
      assert.equal(backend.uploadToGPU, proto.uploadToGPU, "the prototype's method again");
      stockConv = conv();
      assert.notEqual(stockConv, patchedConv, "tfjs's Conv2DBackpropFilter again");
      // the control: tfjs's own upload maps a buffer, which the counter sees
      assert.ok(await uploads() >= 1, "tfjs's upload calls getMappedRange");
    } finally {
      Deno.env.delete("EDGECLASS_WEBGPU_PATCHES");
    }
    const back = await chooseBackend("webgpu", () => {});
    assert.match(back.reasons.join("\n"), /patches on/);
    assert.equal(await uploads(), 0);

    const line = applyWebgpuPatches(backend, true, "4.23.0");
    assert.match(line, /not applied: written for tfjs-backend-webgpu 4\.22\.x, this is 4\.23\.0/);
    assert.equal(webgpuPatchesActive(), false);
    assert.equal(backend.uploadToGPU, proto.uploadToGPU);
    assert.match(applyWebgpuPatches(backend), /patches on/);
    assert.notEqual(conv(), stockConv);
    assert.equal(await uploads(), 0);
  },
});
