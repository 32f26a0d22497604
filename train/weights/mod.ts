/**
 * Pretrained (ImageNet) weights for the tfjs models: safetensors reading, torchvision/timm
 * name mapping, download cache, and the two-stage fine-tuning schedule syntax.
 * @module
 */
export {
  assignStateDict,
  type LoadReport,
  loadWeightsInto,
  type LoadWeightsOptions,
} from "./load_weights.ts";
export {
  defaultCacheDir,
  type FetchedWeights,
  type FetchOptions,
  fetchWeights,
  parseSha256,
} from "./fetch_weights.ts";
export {
  readSafetensors,
  type SafeTensor,
  type SafetensorsFile,
  tensorToFloat32,
} from "./safetensors_reader.ts";
export {
  HEAD_PREFIX,
  type Naming,
  PRETRAINED_ARCHS,
  type PretrainedArch,
} from "./torchvision_names.ts";
export { parseSchedule, type Stage, STAGE_NAMES, type StageName } from "./parse_schedule.ts";
export { parseUnfreeze, type Unfreeze } from "./parse_unfreeze.ts";
