/**
 * Choosing which layers train: the head only, everything, or the head plus the last N
 * backbone blocks.
 *
 * Frozen layers get `trainable = false`: their weights leave `model.trainableWeights`, and our
 * BatchNorm layers (TorchBatchNorm) then normalize with their moving statistics even in a
 * training-mode call, like a torch BatchNorm2d in eval mode.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type Arch, backboneBlocks, headLayerNames } from "./arch.ts";

/** What `setTrainable` trains. */
export type TrainableSpec = "head" | "all" | { lastBlocks: number };

/** True when `layerName` is `prefix` or continues it with "." or "_". */
export function inBlock(layerName: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) =>
    layerName === p || layerName.startsWith(`${p}.`) || layerName.startsWith(`${p}_`)
  );
}

/**
 * Sets `trainable` on every layer of `model` (built by buildModel for `arch`).
 *
 * @param spec "head": only the head; "all": every layer; {lastBlocks: n}: the head and the
 *   last n entries of backboneBlocks(arch) (n larger than the block count trains everything)
 * @returns the number of trainable parameters afterwards
 */
export function setTrainable(model: tf.LayersModel, arch: Arch, spec: TrainableSpec): number {
  const head = headLayerNames(arch);
  const blocks = backboneBlocks(arch);
  let trainBlocks: string[];
  if (spec === "all") {
    trainBlocks = blocks.flat();
  } else if (spec === "head") {
    trainBlocks = [];
  } else {
    const n = spec.lastBlocks;
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`lastBlocks must be a non-negative integer, got ${n}`);
    }
    trainBlocks = blocks.slice(Math.max(0, blocks.length - n)).flat();
  }
  const unknownHead = head.filter((name) => !model.layers.some((l) => l.name === name));
  if (unknownHead.length > 0) {
    throw new Error(
      `model "${model.name}" has no head layer(s) ${unknownHead.join(", ")} of ${arch}`,
    );
  }
  for (const layer of model.layers) {
    layer.trainable = spec === "all" || head.includes(layer.name) ||
      inBlock(layer.name, trainBlocks);
  }
  return model.trainableWeights.reduce((n, w) => n + w.read().size, 0);
}
