import { dirname, join } from "node:path";
import { type Cifar10Options, loadCifar10 } from "./cifar10.ts";
import { type CsvDatasetOptions, loadCsvDataset } from "./csv_dataset.ts";
import type { Dataset } from "./dataset.ts";
import { loadImageFolder } from "./image_folder.ts";
import { waferDataset, type WaferOptions } from "./wafer.ts";

/** Options shared by every dataset kind; kind-specific ones are nested. */
export interface LoadDatasetOptions {
  /** Training image size; the wafer generator renders at this size. */
  imageSize: number;
  /** Seeds the wafer generator and the train/val splits. */
  seed: number;
  /** Share of each class held out for val when a dataset has no val split (default 0.2). */
  valFraction?: number;
  /** What to do with files that are not readable images (default `skip`, listed in `skipped`). */
  onBadImage?: "skip" | "fail";
  wafer?: Partial<WaferOptions>;
  /** Where downloads go when the spec names no folder (default `.cache`). */
  cacheDir?: string;
  csv?: Partial<
    Pick<CsvDatasetOptions, "filenameColumn" | "labelColumn" | "splitColumn" | "classes">
  >;
  cifar10?: Cifar10Options;
}

/** What `loadDataset` accepts, for error messages and `--help`. */
export const DATASET_SPECS =
  "wafer[:balanced|:wm811k], imagefolder:<dir>, csv:<file>[,<image dir>], cifar10[:<dir>]";

/**
 * Loads a dataset from a spec string:
 * - `wafer` — the built-in synthetic WM-811K-like maps (`wafer:wm811k` for realistic imbalance);
 * - `imagefolder:<dir>` — `dir/<class>/<images>`, or `dir/train/` + `dir/val/`;
 * - `csv:<file>,<dir>` — `filename,label` rows, images under `dir` (default: the CSV's folder);
 * - `cifar10:<dir>` — CIFAR-10 binary batches, downloaded into `dir` when missing.
 */
export async function loadDataset(spec: string, opts: LoadDatasetOptions): Promise<Dataset> {
  const colon = spec.indexOf(":");
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? "" : spec.slice(colon + 1);
  const onBadImage = opts.onBadImage ?? "skip";
  if (onBadImage !== "skip" && onBadImage !== "fail") {
    throw new RangeError(`onBadImage must be skip or fail, got '${onBadImage}'`);
  }
  const valFraction = opts.valFraction ?? 0.2;
  const common = { seed: opts.seed, valFraction, onBadImage };
  switch (kind) {
    case "wafer": {
      if (arg !== "" && arg !== "balanced" && arg !== "wm811k") break;
      const w = opts.wafer ?? {};
      const countPerClass = w.countPerClass ?? 250;
      // Without an explicit val size, honour valFraction only when it was asked for.
      const valPerClass = w.valPerClass ??
        (opts.valFraction === undefined
          ? 60
          : Math.round((countPerClass * valFraction) / (1 - valFraction)));
      return waferDataset({
        ...w,
        imageSize: w.imageSize ?? opts.imageSize,
        seed: w.seed ?? opts.seed,
        imbalance: arg === "" ? w.imbalance : arg,
        countPerClass,
        valPerClass,
      });
    }
    case "imagefolder":
      if (arg === "") break;
      return await loadImageFolder(arg, common);
    case "csv": {
      if (arg === "") break;
      const comma = arg.indexOf(",");
      const file = comma < 0 ? arg : arg.slice(0, comma);
      const dir = comma < 0 || arg.slice(comma + 1) === "" ? dirname(file) : arg.slice(comma + 1);
      return await loadCsvDataset(file, dir, { ...common, ...opts.csv });
    }
    case "cifar10":
      return await loadCifar10(arg || join(opts.cacheDir ?? ".cache", "cifar10"), opts.cifar10);
  }
  throw new RangeError(`unknown dataset spec '${spec}' (expected ${DATASET_SPECS})`);
}
