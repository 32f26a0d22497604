import type { Transform } from "../../shared/augment/transform.ts";
import type { Image } from "../../shared/image.ts";
import { ImageError } from "../../shared/image_error.ts";
import { resize } from "../../shared/resize.ts";
import { Rng } from "../../shared/rng.ts";
import type { Sample } from "./dataset.ts";
import { deriveSeed } from "./derive_seed.ts";
import { epochOrder, type SamplerKind } from "./epoch_order.ts";
import { ImageCache } from "./image_cache.ts";

/** The final step of every sample: exact bilinear resize to `size` x `size`, then normalize. */
export interface TensorSpec {
  size: number;
  mean: [number, number, number];
  std: [number, number, number];
}

/** Options of `DataLoader`. */
export interface DataLoaderOptions {
  batchSize: number;
  /** Shorthand for `sampler: "shuffle"` (false: `sequential`); `sampler` wins when given. */
  shuffle: boolean;
  seed: number;
  /** Random augmentation, applied to the decoded image before the final resize. */
  transform?: Transform;
  tensor: TensorSpec;
  /** Batches prepared ahead of the one being consumed (default 2; 0 disables). */
  prefetch?: number;
  /** Keep decoded images in memory while they fit in `cacheBytes` (default true). */
  cacheDecoded?: boolean;
  /** Memory budget of the decoded-image cache (default 512 MiB). */
  cacheBytes?: number;
  sampler?: SamplerKind;
  /** Unreadable images: `skip` drops them from the batch and lists them; `fail` throws. */
  onBadImage?: "skip" | "fail";
  /** Drop the last, smaller batch (default false). */
  dropLast?: boolean;
}

/** One batch, NHWC float32 as tfjs wants it. */
export interface Batch {
  x: Float32Array; // [N, H, W, 3]
  y: Int32Array; // [N]
  /** N: `batchSize`, fewer for the last batch or when bad images were skipped. */
  size: number;
  /** Sample ids in batch order, for debugging and error reports. */
  ids: string[];
}

/**
 * Per channel, the 256 possible normalized values `(v / 255 - mean) / std`, each step rounded to
 * float32 like PyTorch (and `shared/to_tensor.ts`), so training inputs equal serving inputs bit
 * for bit.
 */
function normalizeTable(mean: readonly number[], std: readonly number[]): Float32Array[] {
  const f = Math.fround;
  return [0, 1, 2].map((c) => {
    if (!(std[c] > 0)) throw new RangeError(`tensor std[${c}] must be > 0, got ${std[c]}`);
    if (!Number.isFinite(mean[c])) throw new RangeError(`tensor mean[${c}] must be finite`);
    const t = new Float32Array(256);
    for (let v = 0; v < 256; v++) t[v] = f(f(f(v / 255) - f(mean[c])) / f(std[c]));
    return t;
  });
}

/** Whether `e` means "this sample's image is unusable" rather than a bug. */
function isBadImage(e: unknown): boolean {
  return e instanceof ImageError || e instanceof Deno.errors.NotFound;
}

/**
 * Turns samples into shuffled, augmented, normalized batches.
 *
 * Determinism: the order of epoch e depends only on (seed, e), and the augmentation of the
 * sample at position p of epoch e draws from its own `Rng(deriveSeed(seed, e, p))`, so batches
 * are identical whatever the prefetch depth or timing, and a resumed run reproduces them.
 *
 * Prefetch: while the consumer holds batch k (a training step awaiting tfjs), batches
 * k+1..k+prefetch are already being read, decoded and augmented. This overlaps file I/O and
 * async decoding with training on the same thread; it is not a worker pool.
 */
export class DataLoader {
  readonly samples: readonly Sample[];
  readonly opts: Readonly<DataLoaderOptions>;
  /** Samples whose image could not be used, each listed once. */
  readonly skipped: { id: string; reason: string }[] = [];
  #sampler: SamplerKind;
  #cache: ImageCache | undefined;
  #bad = new Set<number>();
  #table: Float32Array[];
  #labels: number[];

  constructor(samples: readonly Sample[], opts: DataLoaderOptions) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${opts.batchSize}`);
    }
    if (!Number.isInteger(opts.tensor.size) || opts.tensor.size < 1) {
      throw new RangeError(`tensor size must be a positive integer, got ${opts.tensor.size}`);
    }
    const prefetch = opts.prefetch ?? 2;
    if (!Number.isInteger(prefetch) || prefetch < 0) {
      throw new RangeError(`prefetch must be a non-negative integer, got ${prefetch}`);
    }
    this.samples = samples.slice();
    this.opts = { ...opts };
    this.#sampler = opts.sampler ?? (opts.shuffle ? "shuffle" : "sequential");
    this.#labels = this.samples.map((s) => s.label);
    this.#table = normalizeTable(opts.tensor.mean, opts.tensor.std);
    if (opts.cacheDecoded ?? true) this.#cache = new ImageCache(opts.cacheBytes ?? 512 * 2 ** 20);
    // Fail fast on an unknown sampler, not at the first epoch.
    epochOrder([], this.#sampler, opts.seed, 0);
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.samples.length;
    return this.opts.dropLast
      ? Math.floor(n / this.opts.batchSize)
      : Math.ceil(n / this.opts.batchSize);
  }

  /** Bytes of decoded pixels currently cached. */
  get cachedBytes(): number {
    return this.#cache?.bytes ?? 0;
  }

  /** Sample indices in the order epoch `epoch` visits them. */
  order(epoch: number): number[] {
    return epochOrder(this.#labels, this.#sampler, this.opts.seed, epoch);
  }

  /**
   * The batches of one epoch, in order, with up to `prefetch` batches prepared ahead. From
   * `fromBatch` on (default 0): a run resumed mid-epoch starts there without reading, decoding
   * or augmenting the batches it already trained on; batch k is the same either way.
   */
  async *batches(epoch: number, fromBatch = 0): AsyncIterable<Batch> {
    const count = this.length;
    if (!Number.isInteger(fromBatch) || fromBatch < 0 || fromBatch > count) {
      throw new RangeError(`fromBatch must be an integer in [0, ${count}], got ${fromBatch}`);
    }
    const order = this.order(epoch);
    const depth = this.opts.prefetch ?? 2;
    const pending: Promise<Batch>[] = [];
    let next = fromBatch;
    // Keep batches up to `upTo` started; while the consumer holds batch k, k+1..k+depth run.
    const fill = (upTo: number) => {
      while (next < count && next <= upTo) {
        const p = this.#makeBatch(order, epoch, next++);
        // Rejections surface when the batch is awaited; this stops them counting as unhandled
        // when the consumer stops early.
        p.catch(() => {});
        pending.push(p);
      }
    };
    for (let k = fromBatch; k < count; k++) {
      fill(k);
      const batch = await pending.shift()!;
      fill(k + depth);
      yield batch;
    }
  }

  async #image(index: number): Promise<Image> {
    const cached = this.#cache?.get(index);
    if (cached) return cached;
    const img = await this.samples[index].load();
    this.#cache?.put(index, img);
    return img;
  }

  async #makeBatch(order: number[], epoch: number, b: number): Promise<Batch> {
    const { batchSize, tensor, transform } = this.opts;
    const start = b * batchSize;
    const end = Math.min(start + batchSize, order.length);
    const side = tensor.size;
    const per = side * side * 3;
    const x = new Float32Array((end - start) * per);
    const y = new Int32Array(end - start);
    const ids: string[] = [];
    let n = 0;
    for (let p = start; p < end; p++) {
      const index = order[p];
      const sample = this.samples[index];
      if (this.#bad.has(index)) continue;
      let img: Image;
      try {
        img = await this.#image(index);
      } catch (e) {
        if (!isBadImage(e)) throw e;
        const reason = e instanceof Error ? e.message : String(e);
        if ((this.opts.onBadImage ?? "skip") === "fail") {
          throw new Error(`${sample.id}: ${reason}`, { cause: e });
        }
        if (!this.#bad.has(index)) {
          this.#bad.add(index);
          this.skipped.push({ id: sample.id, reason });
        }
        continue;
      }
      if (transform) img = transform(img, new Rng(deriveSeed(this.opts.seed, epoch, p)));
      if (img.width !== side || img.height !== side) img = resize(img, side, side, "bilinear");
      if (img.channels !== 3) {
        throw new RangeError(`${sample.id}: expected an RGB image, got ${img.channels} channels`);
      }
      const [t0, t1, t2] = this.#table;
      const src = img.data;
      const o = n * per;
      for (let i = 0; i < per; i += 3) {
        x[o + i] = t0[src[i]];
        x[o + i + 1] = t1[src[i + 1]];
        x[o + i + 2] = t2[src[i + 2]];
      }
      y[n] = sample.label;
      ids.push(sample.id);
      n++;
    }
    if (n === end - start) return { x, y, size: n, ids };
    return { x: x.slice(0, n * per), y: y.slice(0, n), size: n, ids };
  }
}
