import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "./config.ts";
import { planStages, stageIndexAt } from "./plan_stages.ts";

Deno.test("planStages turns schedule, unfreeze and freeze-backbone into epoch ranges", () => {
  const base = { ...DEFAULT_CONFIG };
  const table: [Partial<typeof base>, ReturnType<typeof planStages>][] = [
    [{ epochs: 4 }, [{ name: "train", start: 0, epochs: 4, trainable: null }]],
    [
      { epochs: 4, freezeBackbone: true },
      [{ name: "train", start: 0, epochs: 4, trainable: "head" }],
    ],
    [
      { epochs: 3, unfreeze: "last:2" },
      [{ name: "train", start: 0, epochs: 3, trainable: { lastBlocks: 2 } }],
    ],
    [
      { epochs: 5, schedule: "head:2,finetune:3", unfreeze: "last:1" },
      [
        { name: "head", start: 0, epochs: 2, trainable: "head" },
        { name: "finetune", start: 2, epochs: 3, trainable: { lastBlocks: 1 } },
      ],
    ],
    [
      { epochs: 2, schedule: "finetune:2" },
      [{ name: "finetune", start: 0, epochs: 2, trainable: "all" }],
    ],
    [{ epochs: 1, schedule: "head:1" }, [{ name: "head", start: 0, epochs: 1, trainable: "head" }]],
  ];
  for (const [over, want] of table) {
    assert.deepEqual(planStages({ ...base, ...over }), want, JSON.stringify(over));
  }
  assert.throws(
    () => planStages({ ...base, epochs: 4, schedule: "head:1,finetune:1" }),
    /2 epochs, the config 4/,
  );
});

Deno.test("stageIndexAt finds the stage of every epoch, clamping past the end", () => {
  const stages = planStages({ ...DEFAULT_CONFIG, epochs: 5, schedule: "head:2,finetune:3" });
  assert.deepEqual([0, 1, 2, 3, 4, 5, 9].map((e) => stageIndexAt(stages, e)), [
    0,
    0,
    1,
    1,
    1,
    1,
    1,
  ]);
});
