import assert from "node:assert/strict";
import { learningRateAt } from "./schedule.ts";
import { runPythonJson } from "./run_python_for_test.ts";

// The learning rate PyTorch uses during each epoch when the scheduler steps once per epoch.
const TORCH_LRS = `
import json, sys, torch
from torch.optim import lr_scheduler as S
out = []
for c in json.load(sys.stdin):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=c["baseLr"])
    w, E = c["warmup"], c["epochs"]
    if w == 0:
        s = S.CosineAnnealingLR(opt, T_max=E, eta_min=c["minLr"])
    else:
        s = S.SequentialLR(opt, [S.LinearLR(opt, 1 / w, 1.0, w - 1),
                                 S.CosineAnnealingLR(opt, T_max=E - w, eta_min=c["minLr"])],
                           milestones=[w])
    lrs = []
    for _ in range(E):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        s.step()
    out.append(lrs)
print(json.dumps(out))
`;

const cases = [
  { baseLr: 1e-3, epochs: 10, warmup: 0, minLr: 0 },
  { baseLr: 0.1, epochs: 7, warmup: 0, minLr: 1e-3 },
  { baseLr: 0.1, epochs: 12, warmup: 3, minLr: 0 },
  { baseLr: 3e-4, epochs: 5, warmup: 2, minLr: 1e-5 },
  { baseLr: 0.5, epochs: 1, warmup: 0, minLr: 0 },
];

Deno.test("learningRateAt matches torch CosineAnnealingLR (and LinearLR warmup) per epoch", async () => {
  const ref = await runPythonJson(TORCH_LRS, cases, ["-W", "ignore"]) as number[][];
  cases.forEach((c, ci) => {
    const got = Array.from(
      { length: c.epochs },
      (_, e) =>
        learningRateAt(e, {
          baseLr: c.baseLr,
          epochs: c.epochs,
          warmupEpochs: c.warmup,
          minLr: c.minLr,
        }),
    );
    got.forEach((lr, e) => {
      assert.ok(
        Math.abs(lr - ref[ci][e]) <= 1e-12 + 1e-9 * ref[ci][e],
        `case ${ci} epoch ${e}: ${lr} vs torch ${ref[ci][e]}`,
      );
    });
  });
});

Deno.test("learningRateAt starts at the base LR and decays monotonically without warmup", () => {
  const lrs = Array.from({ length: 20 }, (_, e) => learningRateAt(e, { baseLr: 1, epochs: 20 }));
  assert.equal(lrs[0], 1);
  for (let e = 1; e < 20; e++) assert.ok(lrs[e] < lrs[e - 1]);
  assert.ok(lrs[19] > 0);
});

Deno.test("learningRateAt with warmup >= epochs stays on the linear ramp", () => {
  const lrs = [0, 1, 2].map((e) => learningRateAt(e, { baseLr: 0.3, epochs: 3, warmupEpochs: 3 }));
  [0.1, 0.2, 0.3].forEach((want, i) => assert.ok(Math.abs(lrs[i] - want) < 1e-15, `${lrs[i]}`));
});
