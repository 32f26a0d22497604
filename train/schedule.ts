import { assert } from "../shared/assert.ts";

/** Per-epoch learning-rate schedule settings. */
export interface ScheduleConfig {
  /** Peak learning rate, reached at the end of warmup. */
  baseLr: number;
  epochs: number;
  /** Linear warmup epochs: epoch `e < warmupEpochs` uses `baseLr * (e + 1) / warmupEpochs`. */
  warmupEpochs?: number;
  /** Floor of the cosine (`eta_min` in PyTorch). */
  minLr?: number;
}

/**
 * The learning rate for 0-based `epoch`: optional linear warmup, then cosine annealing from
 * `baseLr` to `minLr` over the remaining epochs. Without warmup it equals PyTorch
 * `CosineAnnealingLR(T_max=epochs, eta_min=minLr)` stepped once per epoch; with warmup, PyTorch
 * `SequentialLR([LinearLR(1/w, 1, w-1), CosineAnnealingLR(epochs-w)], milestones=[w])`.
 * Closed form (not a recurrence) so a resumed run gets the same value from the epoch alone.
 */
export function learningRateAt(epoch: number, cfg: ScheduleConfig): number {
  const warmup = cfg.warmupEpochs ?? 0;
  const minLr = cfg.minLr ?? 0;
  assert(Number.isInteger(epoch) && epoch >= 0, `epoch must be a non-negative integer: ${epoch}`);
  assert(cfg.baseLr > 0 && cfg.epochs >= 1, "baseLr must be > 0 and epochs >= 1");
  if (epoch < warmup) return cfg.baseLr * (epoch + 1) / warmup;
  const tMax = cfg.epochs - warmup;
  if (tMax <= 0) return cfg.baseLr;
  const t = epoch - warmup;
  return minLr + (cfg.baseLr - minLr) * (1 + Math.cos(Math.PI * t / tMax)) / 2;
}
