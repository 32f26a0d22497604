import assert from "node:assert/strict";
import { EdgeError } from "./edge_error.ts";
import { type BatchRunner, InferenceQueue } from "./inference_queue.ts";

const ITEM = 3;

/** A real (if small) model: each item's output is [sum, max] of its inputs. Counts overlap. */
function summingRunner() {
  const stats = { active: 0, maxActive: 0, batchSizes: [] as number[] };
  const run: BatchRunner = async (input, n) => {
    stats.active++;
    stats.maxActive = Math.max(stats.maxActive, stats.active);
    stats.batchSizes.push(n);
    await new Promise((r) => setTimeout(r, 1));
    const out = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      const item = input.subarray(i * ITEM, (i + 1) * ITEM);
      out[2 * i] = item.reduce((a, b) => a + b, 0);
      out[2 * i + 1] = Math.max(...item);
    }
    stats.active--;
    return out;
  };
  return { run, stats };
}

const item = (v: number) => new Float32Array([v, v + 1, v + 2]);
const opts = { itemSize: ITEM, outSize: 2, maxBatch: 1, batchWaitMs: 0, limit: 100 };

Deno.test("InferenceQueue gives each concurrent caller its own outputs, one run at a time", async () => {
  const { run, stats } = summingRunner();
  const q = new InferenceQueue(run, opts);
  const results = await Promise.all([1, 10, 100, 1000].map((v) => q.infer([item(v), item(-v)])));
  results.forEach((outs, i) => {
    const v = [1, 10, 100, 1000][i];
    assert.deepEqual(Array.from(outs[0]), [3 * v + 3, v + 2]);
    assert.deepEqual(Array.from(outs[1]), [-3 * v + 3, -v + 2]);
  });
  assert.equal(stats.maxActive, 1);
  assert.equal(q.runs, 8);
  assert.equal(q.waiting, 0);
});

Deno.test("InferenceQueue joins items of concurrent requests into micro-batches", async (t) => {
  const cases: [string, number, number[]][] = [
    // With a wait, all 8 calls (made in one tick) are queued before the first run: 4 + 4.
    ["batchWaitMs 5", 5, [4, 4]],
    // Without a wait the first item runs alone at once, the rest fill the next batches.
    ["batchWaitMs 0", 0, [1, 4, 3]],
  ];
  for (const [name, batchWaitMs, sizes] of cases) {
    await t.step(name, async () => {
      const { run, stats } = summingRunner();
      const q = new InferenceQueue(run, { ...opts, maxBatch: 4, batchWaitMs });
      const outs = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((v) => q.infer([item(v)])));
      assert.deepEqual(stats.batchSizes, sizes);
      outs.forEach(([o], v) => assert.equal(o[0], 3 * v + 3));
    });
  }
});

Deno.test("InferenceQueue refuses work beyond its limit with 503 overloaded", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const run: BatchRunner = async (_input, n) => {
    await gate;
    return new Float32Array(n * 2);
  };
  const q = new InferenceQueue(run, { ...opts, limit: 2 });
  const running = q.infer([item(0)]); // taken off the line at once
  const waiting = [q.infer([item(1)]), q.infer([item(2)])];
  assert.equal(q.waiting, 2);
  for (const extra of [[item(3)], [item(3), item(4), item(5)]]) {
    await assert.rejects(q.infer(extra), (e: unknown) => {
      assert.ok(e instanceof EdgeError);
      assert.equal(e.code, "overloaded");
      assert.equal(e.status, 503);
      assert.equal(e.retryAfterS, 1);
      return true;
    });
  }
  release();
  await Promise.all([running, ...waiting]);
  assert.equal((await q.infer([item(9)]))[0].length, 2, "serves again once drained");
});

Deno.test("InferenceQueue fails a run's items with inference_failed and keeps serving", async () => {
  let calls = 0;
  const run: BatchRunner = (_input, n) => {
    calls++;
    if (calls === 1) return Promise.reject(new Error("session exploded"));
    if (calls === 2) return Promise.resolve(new Float32Array(n * 2 + 1)); // wrong size
    return Promise.resolve(new Float32Array(n * 2).fill(7));
  };
  const q = new InferenceQueue(run, opts);
  for (const message of [/session exploded/, /returned 3 values for 1 images/]) {
    await assert.rejects(q.infer([item(0)]), (e: unknown) => {
      assert.ok(e instanceof EdgeError);
      assert.equal(e.code, "inference_failed");
      assert.match(e.message, message);
      return true;
    });
  }
  assert.deepEqual(Array.from((await q.infer([item(0)]))[0]), [7, 7]);
});

Deno.test("InferenceQueue keeps up to maxInFlight runs going, each caller getting its own outputs", async () => {
  for (const maxInFlight of [1, 2, 3]) {
    const { run, stats } = summingRunner();
    const q = new InferenceQueue(run, { ...opts, maxInFlight });
    const values = [1, 2, 3, 4, 5, 6, 7];
    const outs = await Promise.all(values.map((v) => q.infer([item(v)])));
    outs.forEach(([o], i) => assert.deepEqual(Array.from(o), [3 * values[i] + 3, values[i] + 2]));
    assert.equal(stats.maxActive, maxInFlight, `maxInFlight ${maxInFlight}`);
    assert.equal(q.runs, values.length);
    assert.equal(q.waiting, 0);
  }
});

Deno.test("InferenceQueue counts only items not yet running against its limit", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const run: BatchRunner = async (_input, n) => {
    await gate;
    return new Float32Array(n * 2);
  };
  const q = new InferenceQueue(run, { ...opts, limit: 1, maxInFlight: 2 });
  const running = [q.infer([item(0)]), q.infer([item(1)])]; // both start at once
  const waiting = q.infer([item(2)]);
  assert.equal(q.waiting, 1);
  await assert.rejects(q.infer([item(3)]), (e: unknown) => e instanceof EdgeError);
  release();
  await Promise.all([...running, waiting]);
});
