/**
 * The two-stage transfer-learning schedule `--schedule head:E1,finetune:E2`: first train only
 * the new head on a frozen backbone for E1 epochs, then unfreeze (see `parseUnfreeze`) and
 * fine-tune for E2 epochs. Either stage may be left out; order is always head, then finetune.
 * @module
 */

/** Stage names, in the order they run. */
export const STAGE_NAMES = ["head", "finetune"] as const;
export type StageName = typeof STAGE_NAMES[number];

/** One stage of the schedule. */
export interface Stage {
  name: StageName;
  epochs: number;
}

/**
 * Parses `head:E1,finetune:E2` (whitespace around items allowed). Throws a TypeError naming the
 * item at fault for an unknown stage, a repeated stage, stages out of order, or epochs that are
 * not an integer in [1, 100000].
 */
export function parseSchedule(text: string, field = "schedule"): Stage[] {
  const items = text.split(",").map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === "")) {
    throw new TypeError(`${field}: '${text}' must be 'head:E1,finetune:E2' (one or both stages)`);
  }
  const stages: Stage[] = [];
  for (const item of items) {
    const m = /^([a-z]+):(\d+)$/.exec(item);
    if (m === null) throw new TypeError(`${field}: item '${item}' must look like 'head:5'`);
    const name = m[1] as StageName;
    if (!STAGE_NAMES.includes(name)) {
      throw new TypeError(
        `${field}: unknown stage '${m[1]}' (expected ${STAGE_NAMES.join(" or ")})`,
      );
    }
    const epochs = Number(m[2]);
    if (!Number.isSafeInteger(epochs) || epochs < 1 || epochs > 100_000) {
      throw new TypeError(`${field}: stage '${name}' epochs must be an integer in [1, 100000]`);
    }
    if (stages.some((s) => s.name === name)) {
      throw new TypeError(`${field}: stage '${name}' appears twice`);
    }
    if (
      stages.length > 0 &&
      STAGE_NAMES.indexOf(name) < STAGE_NAMES.indexOf(stages[stages.length - 1].name)
    ) {
      throw new TypeError(
        `${field}: stage '${name}' must come before '${stages[stages.length - 1].name}'`,
      );
    }
    stages.push({ name, epochs });
  }
  return stages;
}
