/**
 * Class labels: parsing a labels file and naming ranked predictions.
 * @module
 */
import { topK } from "./top_k.ts";

/** A ranked class with its name. */
export interface LabeledScore {
  index: number;
  label: string;
  score: number;
}

/**
 * Parses a labels file: one label per line, in output order. Surrounding whitespace and
 * trailing empty lines are dropped; an empty line in the middle, a duplicate label or an empty
 * file is an error naming `source` and the line.
 */
export function parseLabels(text: string, source = "labels"): string[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/).map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length === 0) throw new TypeError(`${source}: no labels`);
  const seen = new Map<string, number>();
  lines.forEach((label, i) => {
    if (label === "") throw new TypeError(`${source}:${i + 1}: empty label`);
    const first = seen.get(label);
    if (first !== undefined) {
      throw new TypeError(
        `${source}:${i + 1}: duplicate label '${label}' (first on line ${first})`,
      );
    }
    seen.set(label, i + 1);
  });
  return lines;
}

/** The label of class `index`; a RangeError if the model and its labels disagree. */
export function labelOf(labels: readonly string[], index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= labels.length) {
    throw new RangeError(`class index ${index} is outside the ${labels.length} labels`);
  }
  return labels[index];
}

/**
 * `topK(scores, k)` with names. `scores.length` must equal `labels.length`.
 */
export function topKLabeled(
  scores: ArrayLike<number>,
  labels: readonly string[],
  k: number,
): LabeledScore[] {
  if (scores.length !== labels.length) {
    throw new RangeError(`${scores.length} scores but ${labels.length} labels`);
  }
  return topK(scores, k).map(({ index, score }) => ({ index, label: labels[index], score }));
}
