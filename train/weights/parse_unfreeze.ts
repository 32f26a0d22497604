/**
 * `--unfreeze last:N | all`: what the fine-tune stage trains, in the form `setTrainable`
 * (train/models/freeze.ts) takes. `last:N` trains the head plus the last N backbone blocks
 * (resnet18: the BasicBlocks layer4.1, layer4.0, ...; efficientnet_b0: features.8, features.7,
 * ...), `all` trains everything.
 * @module
 */

/** What to unfreeze for fine-tuning. */
export type Unfreeze = "all" | { lastBlocks: number };

/** Parses `all` or `last:N` (N an integer >= 1); throws a TypeError naming the value. */
export function parseUnfreeze(text: string, field = "unfreeze"): Unfreeze {
  const s = text.trim();
  if (s === "all") return "all";
  const m = /^last:(\d+)$/.exec(s);
  if (m === null) throw new TypeError(`${field}: '${text}' must be 'all' or 'last:N'`);
  const n = Number(m[1]);
  if (!Number.isSafeInteger(n) || n < 1 || n > 10_000) {
    throw new TypeError(`${field}: N in '${text}' must be an integer in [1, 10000]`);
  }
  return { lastBlocks: n };
}
