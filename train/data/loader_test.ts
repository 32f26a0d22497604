import assert from "node:assert/strict";
import type { Transform } from "../../shared/augment/transform.ts";
import { type Image, makeImage } from "../../shared/image.ts";
import { ImageError } from "../../shared/image_error.ts";
import { resize } from "../../shared/resize.ts";
import { toTensor } from "../../shared/to_tensor.ts";
import type { Sample } from "./dataset.ts";
import { type Batch, DataLoader, type DataLoaderOptions } from "./loader.ts";
import { runPython } from "./run_python.ts";

/** Samples whose pixels encode their index; `loads` counts load() calls per index. */
function makeSamples(n: number, opts: { size?: number; delay?: boolean; labels?: number[] } = {}) {
  const size = opts.size ?? 4;
  const loads = new Array<number>(n).fill(0);
  const samples: Sample[] = Array.from({ length: n }, (_, i) => ({
    id: `s${i}`,
    label: opts.labels?.[i] ?? i % 3,
    load: async () => {
      loads[i]++;
      // Uneven completion times, so prefetched batches finish out of order.
      if (opts.delay) await new Promise((r) => setTimeout(r, (i * 7) % 5));
      return makeImage(size, size, 3, new Uint8Array(size * size * 3).fill(i * 10 % 256));
    },
  }));
  return { samples, loads };
}

const TENSOR = { size: 4, mean: [0, 0, 0], std: [1, 1, 1] } as DataLoaderOptions["tensor"];

async function collect(loader: DataLoader, epoch: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader.batches(epoch)) out.push(b);
  return out;
}

Deno.test("DataLoader batches in order with a short last batch (or drops it)", async () => {
  const cases: [number, number, boolean, number[]][] = [
    // n, batchSize, dropLast, batch sizes
    [10, 4, false, [4, 4, 2]],
    [10, 4, true, [4, 4]],
    [8, 4, false, [4, 4]],
    [3, 8, false, [3]],
    [0, 8, false, []],
  ];
  for (const [n, batchSize, dropLast, sizes] of cases) {
    const { samples } = makeSamples(n);
    const loader = new DataLoader(samples, {
      batchSize,
      shuffle: false,
      seed: 0,
      tensor: TENSOR,
      dropLast,
    });
    const batches = await collect(loader, 0);
    assert.equal(loader.length, sizes.length);
    assert.deepEqual(batches.map((b) => b.size), sizes);
    assert.deepEqual(batches.map((b) => b.x.length), sizes.map((s) => s * 4 * 4 * 3));
    const ids = batches.flatMap((b) => b.ids);
    assert.deepEqual(ids, samples.slice(0, ids.length).map((s) => s.id));
    assert.deepEqual(
      batches.flatMap((b) => Array.from(b.y)),
      samples.slice(0, ids.length).map((s) => s.label),
    );
    // Pixel value of sample i is (10 i) / 255 everywhere in its slot.
    for (const b of batches) {
      b.ids.forEach((id, k) => {
        const i = Number(id.slice(1));
        assert.ok(Math.abs(b.x[k * 48 + 47] - (i * 10 % 256) / 255) < 1e-7);
      });
    }
  }
});

Deno.test("DataLoader resizes and normalizes bit-exactly like torchvision and shared toTensor", async () => {
  const data = new Uint8Array(7 * 5 * 3).map((_, i) => (i * 37 + 11) % 256);
  const img = makeImage(7, 5, 3, data);
  const sample: Sample = { id: "one", label: 2, load: () => Promise.resolve(img) };
  const tensor = {
    size: 4,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  } as DataLoaderOptions["tensor"];
  const loader = new DataLoader([sample], { batchSize: 1, shuffle: false, seed: 0, tensor });
  const [batch] = await collect(loader, 0);
  const ref = JSON.parse(
    await runPython(
      `
import json, sys
import numpy as np, torch
from PIL import Image
from torchvision import transforms as T
a = np.array(json.loads(sys.argv[1]), dtype=np.uint8).reshape(5, 7, 3)
t = T.Compose([T.Resize((4, 4), interpolation=T.InterpolationMode.BILINEAR), T.ToTensor(),
               T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
print(json.dumps(t(Image.fromarray(a)).permute(1, 2, 0).reshape(-1).tolist()))
`,
      [JSON.stringify(Array.from(data))],
    ),
  );
  assert.equal(batch.x.length, ref.length);
  // Resize is Pillow-exact and normalization rounds like PyTorch: equal bit for bit.
  assert.deepEqual(Array.from(batch.x), Array.from(new Float32Array(ref)));
  assert.deepEqual(Array.from(batch.y), [2]);
  // Training inputs equal what the shared serving path computes.
  const served = toTensor(resize(img, 4, 4, "bilinear"), { ...tensor, layout: "HWC" });
  assert.deepEqual(batch.x, served);
});

/** A transform whose output depends on every draw: adds rng noise to each pixel. */
const noisy: Transform = (img: Image, rng) => {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (img.data[i] + rng.int(0, 255)) % 256;
  return makeImage(img.width, img.height, img.channels, out);
};

Deno.test("DataLoader output depends only on (seed, epoch), not on prefetch depth or timing", async () => {
  const run = async (prefetch: number, delay: boolean, seed = 5, epoch = 1) => {
    const { samples } = makeSamples(23, { delay });
    const loader = new DataLoader(samples, {
      batchSize: 4,
      shuffle: true,
      seed,
      tensor: TENSOR,
      transform: noisy,
      prefetch,
      cacheDecoded: prefetch % 2 === 0,
    });
    return await collect(loader, epoch);
  };
  const base = await run(0, false);
  for (const [prefetch, delay] of [[1, true], [4, true], [8, false]] as const) {
    const other = await run(prefetch, delay);
    assert.deepEqual(other.map((b) => b.ids), base.map((b) => b.ids));
    assert.deepEqual(other.map((b) => Array.from(b.x)), base.map((b) => Array.from(b.x)));
  }
  const otherEpoch = await run(0, false, 5, 2);
  assert.notDeepEqual(otherEpoch.map((b) => b.ids), base.map((b) => b.ids));
  const otherSeed = await run(0, false, 6, 1);
  assert.notDeepEqual(otherSeed.map((b) => b.ids), base.map((b) => b.ids));
});

Deno.test("DataLoader shuffles each epoch into a different permutation of all samples", () => {
  const { samples } = makeSamples(50);
  const loader = new DataLoader(samples, { batchSize: 8, shuffle: true, seed: 1, tensor: TENSOR });
  const orders = [0, 1, 2].map((e) => loader.order(e));
  for (const o of orders) assert.deepEqual([...o].sort((a, b) => a - b), samples.map((_, i) => i));
  assert.notDeepEqual(orders[0], orders[1]);
  assert.notDeepEqual(orders[1], orders[2]);
  // A fresh loader (a resumed run) reproduces the order of any epoch.
  const resumed = new DataLoader(samples, { batchSize: 8, shuffle: true, seed: 1, tensor: TENSOR });
  assert.deepEqual(resumed.order(2), orders[2]);
  const sequential = new DataLoader(samples, {
    batchSize: 8,
    shuffle: false,
    seed: 1,
    tensor: TENSOR,
  });
  assert.deepEqual(sequential.order(3), samples.map((_, i) => i));
});

Deno.test("DataLoader balanced sampler evens out the classes", () => {
  const labels = [...Array(90).fill(0), ...Array(9).fill(1), 2];
  const { samples } = makeSamples(100, { labels });
  const loader = new DataLoader(samples, {
    batchSize: 10,
    shuffle: true,
    seed: 0,
    tensor: TENSOR,
    sampler: "balanced",
  });
  const drawn = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((e) => loader.order(e));
  const share = [0, 1, 2].map((k) => drawn.filter((i) => labels[i] === k).length / drawn.length);
  // n = 1000 draws, sd of a 1/3 share is 0.015; allow 5 sd.
  for (const s of share) assert.ok(Math.abs(s - 1 / 3) < 0.075, `${share}`);
  assert.equal(loader.length, 10);
  assert.throws(
    () =>
      new DataLoader(samples, {
        batchSize: 1,
        shuffle: true,
        seed: 0,
        tensor: TENSOR,
        sampler: "weird" as "balanced",
      }),
    /sampler/,
  );
});

Deno.test("DataLoader prefetches the next batches while the consumer holds one", async () => {
  for (const [prefetch, furthest] of [[0, 0], [2, 2]]) {
    const { samples, loads } = makeSamples(40);
    const loader = new DataLoader(samples, {
      batchSize: 4,
      shuffle: false,
      seed: 0,
      tensor: TENSOR,
      prefetch,
    });
    const it = loader.batches(0)[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.value.size, 4);
    // Batch b covers samples 4b..4b+3; prefetch k must have started batches up to k (at least).
    const started = loads.map((n, i) => (n > 0 ? Math.floor(i / 4) : -1));
    assert.ok(Math.max(...started) >= furthest, `prefetch ${prefetch}: started ${started}`);
    if (prefetch === 0) assert.equal(Math.max(...started), 0);
    await it.return?.();
  }
});

Deno.test("DataLoader caches decoded images within the byte budget", async () => {
  const cases: [boolean, number, number][] = [
    // cacheDecoded, cacheBytes, expected loads per sample after 3 epochs
    [true, 1 << 20, 1],
    [false, 1 << 20, 3],
    [true, 0, 3],
  ];
  for (const [cacheDecoded, cacheBytes, perSample] of cases) {
    const { samples, loads } = makeSamples(12);
    const loader = new DataLoader(samples, {
      batchSize: 5,
      shuffle: true,
      seed: 0,
      tensor: TENSOR,
      cacheDecoded,
      cacheBytes,
    });
    for (const e of [0, 1, 2]) await collect(loader, e);
    assert.deepEqual(loads, new Array(12).fill(perSample), `${cacheDecoded} ${cacheBytes}`);
    assert.equal(loader.cachedBytes, perSample === 1 ? 12 * 48 : 0);
  }
  // A budget for 5 images keeps exactly 5.
  const { samples, loads } = makeSamples(12);
  const loader = new DataLoader(samples, {
    batchSize: 5,
    shuffle: false,
    seed: 0,
    tensor: TENSOR,
    cacheBytes: 5 * 48,
  });
  await collect(loader, 0);
  await collect(loader, 1);
  assert.equal(loads.filter((n) => n === 1).length, 5);
  assert.equal(loader.cachedBytes, 5 * 48);
});

/** Samples 3 and 7 are corrupt images; sample 9 throws a programming error. */
function withBad(n: number, bug = false): Sample[] {
  const { samples } = makeSamples(n);
  return samples.map((s, i) =>
    i === 3 || i === 7
      ? {
        ...s,
        load: () => Promise.reject(new ImageError("corrupt_image", `${s.id}.jpg: truncated`)),
      }
      : bug && i === 9
      ? { ...s, load: () => Promise.reject(new TypeError("a bug")) }
      : s
  );
}

Deno.test("DataLoader skips and lists bad images once, or fails naming the sample", async () => {
  const skip = new DataLoader(withBad(10), {
    batchSize: 4,
    shuffle: false,
    seed: 0,
    tensor: TENSOR,
  });
  for (const e of [0, 1]) {
    const batches = await collect(skip, e);
    assert.deepEqual(batches.map((b) => b.size), [3, 3, 2]);
    assert.deepEqual(batches[0].ids, ["s0", "s1", "s2"]);
    assert.equal(batches[1].x.length, 3 * 48);
  }
  assert.deepEqual(skip.skipped.map((s) => s.id), ["s3", "s7"]);
  assert.match(skip.skipped[0].reason, /s3\.jpg: truncated/);

  const fail = new DataLoader(withBad(10), {
    batchSize: 4,
    shuffle: false,
    seed: 0,
    tensor: TENSOR,
    onBadImage: "fail",
  });
  await assert.rejects(collect(fail, 0), /^Error: s3: s3\.jpg: truncated/);
  // Programming errors are never skipped.
  const bug = new DataLoader(withBad(12, true), {
    batchSize: 4,
    shuffle: false,
    seed: 0,
    tensor: TENSOR,
  });
  await assert.rejects(collect(bug, 0), TypeError);
});

Deno.test("DataLoader consumers may stop early while failing batches are still in flight", async () => {
  const loader = new DataLoader(withBad(40, true), {
    batchSize: 2,
    shuffle: false,
    seed: 0,
    tensor: TENSOR,
    prefetch: 6,
  });
  for await (const b of loader.batches(0)) {
    assert.equal(b.size, 2);
    break;
  }
  // Let the abandoned batch promises settle; an unhandled rejection would fail this test.
  await new Promise((r) => setTimeout(r, 20));
});

Deno.test("DataLoader rejects bad options", () => {
  const { samples } = makeSamples(2);
  const bad: Partial<DataLoaderOptions>[] = [
    { batchSize: 0 },
    { batchSize: 1.5 },
    { prefetch: -1 },
    { tensor: { size: 0, mean: [0, 0, 0], std: [1, 1, 1] } },
    { tensor: { size: 4, mean: [0, 0, 0], std: [1, 0, 1] } },
  ];
  for (const b of bad) {
    assert.throws(
      () =>
        new DataLoader(samples, { batchSize: 2, shuffle: false, seed: 0, tensor: TENSOR, ...b }),
      RangeError,
    );
  }
});

Deno.test("DataLoader batches(epoch, fromBatch) yields the same tail without loading the skipped batches", async () => {
  // n, batchSize, prefetch, fromBatch
  const cases: [number, number, number, number][] = [
    [23, 4, 2, 0],
    [23, 4, 2, 3],
    [23, 4, 0, 5],
    [23, 4, 3, 6], // the empty tail: fromBatch == length
    [8, 4, 1, 1],
  ];
  for (const [n, batchSize, prefetch, fromBatch] of cases) {
    const opts = {
      batchSize,
      shuffle: true,
      seed: 9,
      tensor: TENSOR,
      transform: noisy,
      prefetch,
      cacheDecoded: false,
    };
    const full = await collect(new DataLoader(makeSamples(n).samples, opts), 2);
    const { samples, loads } = makeSamples(n);
    const loader = new DataLoader(samples, opts);
    const tail: Batch[] = [];
    for await (const b of loader.batches(2, fromBatch)) tail.push(b);
    const what = `n ${n} batch ${batchSize} prefetch ${prefetch} from ${fromBatch}`;
    assert.deepEqual(tail.map((b) => b.ids), full.slice(fromBatch).map((b) => b.ids), what);
    assert.deepEqual(
      tail.map((b) => Array.from(b.x)),
      full.slice(fromBatch).map((b) => Array.from(b.x)),
      what,
    );
    // only the samples of the remaining batches were loaded, each once
    const order = loader.order(2);
    const wanted = new Set(order.slice(fromBatch * batchSize));
    assert.deepEqual(loads, loads.map((_, i) => (wanted.has(i) ? 1 : 0)), what);
  }
  const loader = new DataLoader(makeSamples(8).samples, {
    batchSize: 4,
    shuffle: false,
    seed: 0,
    tensor: TENSOR,
  });
  for (const bad of [-1, 3, 1.5]) {
    await assert.rejects(
      async () => {
        for await (const _ of loader.batches(0, bad)) { /* drain */ }
      },
      /fromBatch must be an integer in \[0, 2\]/,
    );
  }
});
