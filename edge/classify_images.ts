import { applyPreprocess } from "../shared/apply_preprocess.ts";
import { decodeImage } from "../shared/decode.ts";
import type { ModelMetadata } from "../shared/model_metadata.ts";
import { softmax } from "../shared/softmax.ts";
import { topK } from "../shared/top_k.ts";
import { EdgeError, toEdgeError } from "./edge_error.ts";
import type { ServedModel } from "./served_model.ts";

/** One ranked class. `score` is a softmax probability (after the model's temperature). */
export interface Prediction {
  label: string;
  score: number;
  index: number;
}

/** Milliseconds spent in each stage for one image. */
export interface Timing {
  decode: number;
  preprocess: number;
  inference: number;
}

/** The answer for one image. */
export interface Classification {
  predictions: Prediction[];
  timing_ms: Timing;
}

/** How to rank, and the limits that guard decoding. */
export interface ClassifyOptions {
  /** Resolved count in [1, labels] (see parseTopK). */
  topK: number;
  /** Drop predictions scoring below this. */
  threshold: number;
  maxPixels: number;
  maxBytes: number;
}

/**
 * The top `k` predictions from one image's `logits` ([numLabels]): softmax of logits / temperature,
 * ranked (ties -> lower index), then those under `threshold` dropped.
 */
export function predictionsFromLogits(
  meta: ModelMetadata,
  logits: Float32Array,
  k: number,
  threshold: number,
): Prediction[] {
  const probs = softmax(logits, meta.temperature);
  return topK(probs, k)
    .filter((p) => p.score >= threshold)
    .map((p) => ({ label: meta.labels[p.index], score: p.score, index: p.index }));
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * Classifies each of `images` (encoded bytes). Decoding and preprocessing errors are per image
 * (that slot holds an EdgeError), and the good images go to the model together, so the queue can
 * batch them. Throws only for whole-request failures (queue overloaded, inference failed).
 */
export async function classifyImages(
  model: ServedModel,
  images: Uint8Array[],
  opts: ClassifyOptions,
  clock: () => number,
): Promise<(Classification | EdgeError)[]> {
  type Prepared = { tensor: Float32Array; decode: number; preprocess: number };
  const prepared: (Prepared | EdgeError)[] = [];
  for (const bytes of images) {
    try {
      const t0 = clock();
      const img = await decodeImage(bytes, {
        maxPixels: opts.maxPixels,
        maxBytes: opts.maxBytes,
        background: model.meta.preprocess.background,
      });
      const t1 = clock();
      const tensor = applyPreprocess(model.meta.preprocess, img); // [3, H, W]
      const t2 = clock();
      prepared.push({ tensor, decode: t1 - t0, preprocess: t2 - t1 });
    } catch (e) {
      const err = toEdgeError(e);
      // Only image problems are per-item; anything else is a server fault and fails the request.
      if (err.code === "internal") throw e;
      prepared.push(err);
    }
  }
  const good = prepared.filter((p): p is Prepared => !(p instanceof EdgeError));
  const t0 = clock();
  const logits = good.length > 0 ? await model.infer(good.map((p) => p.tensor)) : [];
  const inference = round3(clock() - t0);
  let next = 0;
  return prepared.map((p) => {
    if (p instanceof EdgeError) return p;
    return {
      predictions: predictionsFromLogits(model.meta, logits[next++], opts.topK, opts.threshold),
      timing_ms: { decode: round3(p.decode), preprocess: round3(p.preprocess), inference },
    };
  });
}
