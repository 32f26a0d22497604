/**
 * Which PyTorch state_dict name feeds which tfjs variable, for the pretrained architectures.
 *
 * The tfjs models name their layers after torchvision's module paths (`layer1.0.conv1`,
 * `features.1.0.block.0.0`), so the torchvision mapping is the identity on prefixes plus a
 * per-variable suffix table. timm checkpoints are renamed to torchvision names first:
 * - timm `resnet18` uses torchvision's names already (conv1, bn1, layer1.0.downsample.0, fc).
 * - timm `efficientnet_b0` (NOT `tf_efficientnet_b0`) has the same topology as torchvision's
 *   (torchvision's weights were ported from it), under other names; see `timmEfficientNetName`.
 * @module
 */

/** Architectures with pretrained-weight support. */
export const PRETRAINED_ARCHS = ["resnet18", "efficientnet_b0"] as const;
export type PretrainedArch = typeof PRETRAINED_ARCHS[number];

/** The classifier layer, skipped when the checkpoint's class count differs from the model's. */
export const HEAD_PREFIX: Readonly<Record<PretrainedArch, string>> = {
  resnet18: "fc",
  efficientnet_b0: "classifier.1",
};

/**
 * BatchNorm epsilon of the reference models (torchvision resnet18 and efficientnet_b0 both use
 * nn.BatchNorm2d's default; timm's efficientnet_b0 too). The tfjs layers must match: tfjs's
 * own default is 1e-3, which would silently shift every normalised activation.
 */
export const BN_EPSILON: Readonly<Record<PretrainedArch, number>> = {
  resnet18: 1e-5,
  efficientnet_b0: 1e-5,
};

/** The state_dict naming convention a checkpoint uses. */
export type Naming = "torchvision" | "timm";

/** Narrows an architecture name, throwing a TypeError that lists the supported ones. */
export function assertPretrainedArch(arch: string): PretrainedArch {
  if (!(PRETRAINED_ARCHS as readonly string[]).includes(arch)) {
    throw new TypeError(
      `pretrained weights are supported for ${PRETRAINED_ARCHS.join(", ")}, not '${arch}'`,
    );
  }
  return arch as PretrainedArch;
}

/**
 * State_dict suffixes per tfjs variable role. The role is the last `/`-segment of the tfjs
 * variable's name (`layer1.0.conv1/kernel` -> `kernel`).
 */
export const TORCH_SUFFIX: Readonly<Record<string, string>> = {
  kernel: "weight",
  depthwise_kernel: "weight",
  bias: "bias",
  gamma: "weight",
  beta: "bias",
  moving_mean: "running_mean",
  moving_variance: "running_var",
};

/** Buffers that carry no inference value and are ignored on purpose. */
export function isIgnoredTorchName(name: string): boolean {
  return name.endsWith(".num_batches_tracked");
}

/** Which convention `names` follow; efficientnet_b0 is timm's when it has `conv_stem`. */
export function detectNaming(arch: PretrainedArch, names: Iterable<string>): Naming {
  if (arch === "resnet18") return "torchvision"; // identical in both conventions
  for (const n of names) if (n.startsWith("conv_stem.")) return "timm";
  return "torchvision";
}

/** timm efficientnet_b0 per-block module renames: stage 0 is a DepthwiseSeparableConv. */
const TIMM_DS_BLOCK: Record<string, string> = {
  conv_dw: "block.0.0",
  bn1: "block.0.1",
  "se.conv_reduce": "block.1.fc1",
  "se.conv_expand": "block.1.fc2",
  conv_pw: "block.2.0",
  bn2: "block.2.1",
};
/** Stages 1..6 are InvertedResidual blocks (expand, depthwise, SE, project). */
const TIMM_IR_BLOCK: Record<string, string> = {
  conv_pw: "block.0.0",
  bn1: "block.0.1",
  conv_dw: "block.1.0",
  bn2: "block.1.1",
  "se.conv_reduce": "block.2.fc1",
  "se.conv_expand": "block.2.fc2",
  conv_pwl: "block.3.0",
  bn3: "block.3.1",
};
const TIMM_TOP: Record<string, string> = {
  conv_stem: "features.0.0",
  bn1: "features.0.1",
  conv_head: "features.8.0",
  bn2: "features.8.1",
  classifier: "classifier.1",
};

/**
 * The torchvision name of a timm efficientnet_b0 state_dict entry, or null when it has none.
 * timm `blocks.S.J.<module>.<param>` is torchvision `features.(S+1).J.<block path>.<param>`.
 */
export function timmEfficientNetName(name: string): string | null {
  const dot = name.lastIndexOf(".");
  if (dot < 0) return null;
  const module = name.slice(0, dot);
  const param = name.slice(dot + 1);
  if (module in TIMM_TOP) return `${TIMM_TOP[module]}.${param}`;
  const m = /^blocks\.(\d+)\.(\d+)\.(.+)$/.exec(module);
  if (m === null) return null;
  const stage = Number(m[1]);
  const table = stage === 0 ? TIMM_DS_BLOCK : TIMM_IR_BLOCK;
  const inner = table[m[3]];
  if (inner === undefined) return null;
  return `features.${stage + 1}.${m[2]}.${inner}.${param}`;
}

/**
 * Renames a checkpoint's entries to torchvision names: returns torchvision name -> original
 * name. Names with no torchvision counterpart are returned in `unmapped` (an error upstream).
 */
export function toTorchvisionNames(
  arch: PretrainedArch,
  names: Iterable<string>,
  naming: Naming,
): { byTorchName: Map<string, string>; unmapped: string[] } {
  const byTorchName = new Map<string, string>();
  const unmapped: string[] = [];
  for (const name of names) {
    const tv = naming === "timm" && arch === "efficientnet_b0" ? timmEfficientNetName(name) : name;
    if (tv === null) unmapped.push(name);
    else byTorchName.set(tv, name);
  }
  return { byTorchName, unmapped };
}

/**
 * The torchvision module prefix of a tfjs layer. The model files name layers exactly like
 * torchvision modules; this is where a deviation would be mapped.
 */
export function torchPrefixOfLayer(_arch: PretrainedArch, layerName: string): string {
  return layerName;
}
