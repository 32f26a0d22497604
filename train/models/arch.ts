/**
 * Architecture names and, per architecture, which layers form the head and the backbone blocks
 * (what freezing and partial unfreezing work with).
 *
 * @module
 */
import { EFFICIENTNET_B0_BLOCKS, EFFICIENTNET_B0_HEAD } from "./efficientnet_b0.ts";
import { RESNET18_BLOCKS, RESNET18_HEAD } from "./resnet18.ts";
import { SIMPLE_CNN_BLOCKS, SIMPLE_CNN_HEAD } from "./simple_cnn.ts";

/** Architectures `buildModel` knows. */
export type Arch = "simple_cnn" | "resnet18" | "efficientnet_b0";

/** All `Arch` values. */
export const ARCHS: readonly Arch[] = ["simple_cnn", "resnet18", "efficientnet_b0"];

/** Names of the head layers of `arch` (the classifier; its last entry is the logits Dense). */
export function headLayerNames(arch: Arch): string[] {
  return [...HEADS[arch]];
}

/**
 * Backbone blocks of `arch`, input side first. Each block is a list of layer-name prefixes:
 * a layer belongs to the block when its name equals a prefix or continues it with "." or "_".
 */
export function backboneBlocks(arch: Arch): string[][] {
  return BLOCKS[arch].map((b) => [...b]);
}

const HEADS: Record<Arch, readonly string[]> = {
  simple_cnn: SIMPLE_CNN_HEAD,
  resnet18: RESNET18_HEAD,
  efficientnet_b0: EFFICIENTNET_B0_HEAD,
};

const BLOCKS: Record<Arch, readonly string[][]> = {
  simple_cnn: SIMPLE_CNN_BLOCKS,
  resnet18: RESNET18_BLOCKS,
  efficientnet_b0: EFFICIENTNET_B0_BLOCKS,
};
