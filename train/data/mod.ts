/**
 * Datasets and the data loader: the built-in synthetic wafer maps, ImageFolder, CSV and
 * CIFAR-10 loaders behind `loadDataset(spec)`, the seeded prefetching `DataLoader`, and the
 * augmentation recipes, class weights and balanced sampling used by training.
 * @module
 */
export type { Dataset, Sample } from "./dataset.ts";
export { DATASET_SPECS, loadDataset, type LoadDatasetOptions } from "./load_dataset.ts";
export { type Batch, DataLoader, type DataLoaderOptions, type TensorSpec } from "./loader.ts";
export { epochOrder, type SamplerKind } from "./epoch_order.ts";
export { type Recipe, type RecipeOptions, trainTransform } from "./recipes.ts";
export { classCounts, classWeights } from "./class_weights.ts";
export { balancedIndices } from "./balanced_sampler.ts";
export { deriveSeed } from "./derive_seed.ts";
export {
  DEFAULT_WAFER_OPTIONS,
  waferClassCounts,
  waferDataset,
  waferImage,
  type WaferOptions,
  WM811K_COUNTS,
} from "./wafer.ts";
export { generateWaferMap, WAFER_CLASSES, type WaferClass, type WaferMap } from "./wafer_map.ts";
export { renderWaferMap, WAFER_COLORS } from "./render_wafer_map.ts";
export { loadImageFolder } from "./image_folder.ts";
export { loadCsvDataset } from "./csv_dataset.ts";
export { parseCsv } from "./parse_csv.ts";
export { CIFAR10_MD5, CIFAR10_URL, ensureCifar10, loadCifar10 } from "./cifar10.ts";
export { stratifiedSplit } from "./stratified_split.ts";
export { IMG_EXTENSIONS } from "./image_file.ts";
