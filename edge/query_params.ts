import { EdgeError } from "./edge_error.ts";

/** Default number of predictions returned. */
export const DEFAULT_TOP_K = 5;

// Plain decimal or exponent notation, no sign, no hex, no spaces inside: "3", "0.5", ".5", "1e9".
const NUMBER_TEXT = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Resolves the `top_k` query value to a count in [1, numLabels].
 *
 * - absent: 5, clamped to the number of labels;
 * - `0`: all labels;
 * - a whole number >= 1: that many, clamped to the number of labels (so `1e9` returns all);
 * - anything else (`-1`, `1.5`, `NaN`, `abc`, empty, `0x10`): 400 `invalid_parameter`.
 */
export function parseTopK(raw: string | undefined, numLabels: number): number {
  if (raw === undefined) return Math.min(DEFAULT_TOP_K, numLabels);
  const text = raw.trim();
  const value = NUMBER_TEXT.test(text) ? Number(text) : NaN;
  // Infinity ("1e999") is a huge whole number too: clamp it like 1e9.
  if (!(Number.isInteger(value) || value === Infinity)) {
    throw new EdgeError(
      "invalid_parameter",
      `top_k must be a whole number >= 0 (0 = all labels), got '${raw.slice(0, 40)}'`,
    );
  }
  return value === 0 ? numLabels : Math.min(value, numLabels);
}

/**
 * Resolves the `threshold` query value: predictions scoring below it are dropped.
 * Absent: 0. Otherwise a number in [0, 1] (decimal or exponent notation), else 400.
 */
export function parseThreshold(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const text = raw.trim();
  const value = NUMBER_TEXT.test(text) ? Number(text) : NaN;
  if (!(value >= 0 && value <= 1)) {
    throw new EdgeError(
      "invalid_parameter",
      `threshold must be a number in [0, 1], got '${raw.slice(0, 40)}'`,
    );
  }
  return value;
}
