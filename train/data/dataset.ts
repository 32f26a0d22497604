import type { Image } from "../../shared/image.ts";

/** One labelled example. Pixels are produced lazily so a dataset of file paths stays small. */
export interface Sample {
  /** Where the pixels come from: a file path, `path#record` for packed files, or `wafer:123`. */
  id: string;
  /** Index into `Dataset.classes`. */
  label: number;
  /** Decodes (or renders) the image; always RGB. Throws `ImageError` for bad image data. */
  load(): Promise<Image>;
}

/** A labelled dataset split into train and validation samples. */
export interface Dataset {
  /** The spec it was loaded from, for logs and model metadata (`wafer`, `imagefolder:/x`). */
  name: string;
  /** Class names; a sample's `label` indexes this list. */
  classes: string[];
  train: Sample[];
  val: Sample[];
  /** Files or rows left out while loading, with the reason (line numbers for CSV rows). */
  skipped: { id: string; reason: string }[];
  /**
   * What the pixels show, so augmentation recipes can adapt: `wafer` maps have no preferred
   * orientation and colours that carry meaning, `photo` is everything else.
   */
  domain: "photo" | "wafer";
  /** RGB to fill with when a transform exposes pixels outside the image (rotation, padding). */
  fill: [number, number, number];
}
