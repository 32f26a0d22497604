/**
 * The stages of a training run: which layers train during which epochs. A plain run is one
 * stage; `--schedule head:E1,finetune:E2` gives the two transfer-learning stages.
 * @module
 */
import type { TrainConfig } from "./config.ts";
import type { TrainableSpec } from "./models/freeze.ts";
import { parseSchedule } from "./weights/parse_schedule.ts";
import { parseUnfreeze } from "./weights/parse_unfreeze.ts";

/** One stage of a run. */
export interface StagePlan {
  /** `head` / `finetune` from the schedule; `train` for a run without one. */
  name: "head" | "finetune" | "train";
  /** 0-based first epoch of the stage. */
  start: number;
  epochs: number;
  /** What `setTrainable` gets at the start of the stage; null leaves the model as built. */
  trainable: TrainableSpec | null;
}

/**
 * The stages of `config`, covering epochs 0..epochs-1 without gaps. Without a schedule: one
 * `train` stage that trains the head only with `freezeBackbone`, else what `unfreeze` says
 * (`all` leaves the model as `buildModel` made it).
 */
export function planStages(
  config: Pick<TrainConfig, "epochs" | "schedule" | "unfreeze" | "freezeBackbone">,
): StagePlan[] {
  const unfreeze = parseUnfreeze(config.unfreeze, "unfreeze");
  if (config.schedule === null) {
    const trainable: TrainableSpec | null = config.freezeBackbone
      ? "head"
      : unfreeze === "all"
      ? null
      : unfreeze;
    return [{ name: "train", start: 0, epochs: config.epochs, trainable }];
  }
  let start = 0;
  const stages = parseSchedule(config.schedule, "schedule").map((s): StagePlan => {
    const plan: StagePlan = {
      name: s.name,
      start,
      epochs: s.epochs,
      trainable: s.name === "head" ? "head" : unfreeze,
    };
    start += s.epochs;
    return plan;
  });
  if (start !== config.epochs) {
    throw new RangeError(
      `schedule ${config.schedule} has ${start} epochs, the config ${config.epochs}`,
    );
  }
  return stages;
}

/** Index of the stage that 0-based `epoch` belongs to (the last stage past the end). */
export function stageIndexAt(stages: readonly StagePlan[], epoch: number): number {
  const i = stages.findIndex((s) => epoch >= s.start && epoch < s.start + s.epochs);
  return i < 0 ? stages.length - 1 : i;
}

/** Human description of a stage's trainable set, for the log. */
export function describeTrainable(spec: TrainableSpec | null): string {
  if (spec === null || spec === "all") return "every layer";
  if (spec === "head") return "the head only (backbone frozen, its BatchNorms in inference mode)";
  return `the head and the last ${spec.lastBlocks} backbone block(s)`;
}
