import type { Image } from "../../shared/image.ts";
import { Rng } from "../../shared/rng.ts";
import type { Dataset, Sample } from "./dataset.ts";
import { deriveSeed } from "./derive_seed.ts";
import { renderWaferMap, WAFER_COLORS } from "./render_wafer_map.ts";
import { DIE_OUTSIDE, generateWaferMap, WAFER_CLASSES } from "./wafer_map.ts";

/** Settings of the synthetic wafer-map dataset (the built-in default). */
export interface WaferOptions {
  /** Side of the square RGB images. */
  imageSize: number;
  /** Training maps per class (with `imbalance: "wm811k"`: the mean over classes). */
  countPerClass: number;
  /** Validation maps per class (scaled the same way as `countPerClass`). */
  valPerClass: number;
  /** `balanced`: equal counts; `wm811k`: the class shares of the labelled WM-811K maps. */
  imbalance: "balanced" | "wm811k";
  seed: number;
  /** Die columns per map are drawn from [gridMin, gridMax]. */
  gridMin: number;
  gridMax: number;
  /** Upper bound of the scattered-fail probability every map gets. */
  noiseMax: number;
  /** Fewest maps any class gets under an imbalance preset, per split. */
  minPerClass: number;
}

/** Defaults sized for the default training run (32 px, ~2.2k train maps, seconds to render). */
export const DEFAULT_WAFER_OPTIONS: WaferOptions = {
  imageSize: 32,
  countPerClass: 250,
  valPerClass: 60,
  imbalance: "balanced",
  seed: 0,
  gridMin: 22,
  gridMax: 40,
  noiseMax: 0.04,
  minPerClass: 3,
};

/**
 * Labelled map counts per class in WM-811K (LSWMD.pkl), in `WAFER_CLASSES` order: "none"
 * dominates at 85%, "Near-full" has 149 maps.
 */
export const WM811K_COUNTS = [147431, 4294, 555, 5189, 9680, 3593, 149, 866, 1193];

/** How many maps each class gets for a split whose balanced size is `perClass`. */
export function waferClassCounts(
  perClass: number,
  imbalance: WaferOptions["imbalance"],
  minPerClass: number,
): number[] {
  if (!Number.isInteger(perClass) || perClass < 0) {
    throw new RangeError(`wafer count per class must be a non-negative integer, got ${perClass}`);
  }
  if (imbalance === "balanced") return WAFER_CLASSES.map(() => perClass);
  if (imbalance !== "wm811k") {
    throw new RangeError(`wafer imbalance '${imbalance}' is not one of balanced, wm811k`);
  }
  const total = perClass * WAFER_CLASSES.length;
  const all = WM811K_COUNTS.reduce((a, b) => a + b, 0);
  return WM811K_COUNTS.map((n) =>
    Math.max(Math.min(minPerClass, perClass), Math.round(total * n / all))
  );
}

/** Renders wafer map number `index` of class `cls`; a pure function of its arguments. */
export function waferImage(cls: number, index: number, opts: WaferOptions): Image {
  const rng = new Rng(deriveSeed(opts.seed, index, 0x3a7e));
  const map = generateWaferMap(cls, rng, opts);
  return renderWaferMap(map, opts.imageSize);
}

/**
 * The synthetic WM-811K-like dataset: maps are rendered on `load()` from (seed, index), so
 * the same options always give the same bytes and nothing is kept in memory here.
 * Sample ids are `wafer:<index>`; train indices come first, then val.
 */
export function waferDataset(options: Partial<WaferOptions> = {}): Dataset {
  // Keys set to undefined mean "default", not "unset".
  const given: Partial<WaferOptions> = Object.fromEntries(
    Object.entries(options).filter(([, v]) => v !== undefined),
  );
  const opts: WaferOptions = { ...DEFAULT_WAFER_OPTIONS, ...given };
  if (!Number.isInteger(opts.imageSize) || opts.imageSize < 8) {
    throw new RangeError(`wafer image size must be an integer >= 8, got ${opts.imageSize}`);
  }
  const trainCounts = waferClassCounts(opts.countPerClass, opts.imbalance, opts.minPerClass);
  const valCounts = waferClassCounts(opts.valPerClass, opts.imbalance, opts.minPerClass);
  let index = 0;
  const make = (counts: number[]): Sample[] => {
    const out: Sample[] = [];
    counts.forEach((count, cls) => {
      for (let i = 0; i < count; i++) {
        const at = index++;
        out.push({
          id: `wafer:${at}`,
          label: cls,
          load: () => Promise.resolve(waferImage(cls, at, opts)),
        });
      }
    });
    return out;
  };
  const train = make(trainCounts);
  const val = make(valCounts);
  const tag = opts.imbalance === "wm811k" ? ",wm811k" : "";
  return {
    name: `wafer(${opts.imageSize}px,seed=${opts.seed}${tag})`,
    classes: [...WAFER_CLASSES],
    train,
    val,
    skipped: [],
    domain: "wafer",
    fill: [...WAFER_COLORS[DIE_OUTSIDE]],
  };
}
