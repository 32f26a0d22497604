import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { chooseBackend } from "./backend.ts";
import { AdamW } from "./adamw.ts";
import { runPythonJson } from "./run_python_for_test.ts";

await chooseBackend("cpu", () => {});

// The loss is non-trivial in the params (cubic term), so the gradients change every step and
// both sides must track the same trajectory. `w` is rank 2 (decayed), `b` rank 1 (not decayed).
const TORCH_ADAMW = `
import json, sys, torch
a = json.load(sys.stdin)
w = torch.nn.Parameter(torch.tensor(a["w"], dtype=torch.float32))
b = torch.nn.Parameter(torch.tensor(a["b"], dtype=torch.float32))
opt = torch.optim.AdamW([{"params": [w], "weight_decay": a["wd"]},
                         {"params": [b], "weight_decay": 0.0}],
                        lr=a["lrs"][0], betas=(a["b1"], a["b2"]), eps=a["eps"])
for lr in a["lrs"]:
    for g, mult in zip(opt.param_groups, a["mults"]): g["lr"] = lr * mult
    opt.zero_grad()
    loss = ((w - 0.5) ** 2).sum() + 0.1 * (w ** 3).sum() + ((b + 1.0) ** 2).sum() + (w.sum(1) * b).sum()
    loss.backward()
    opt.step()
print(json.dumps({"w": w.detach().flatten().tolist(), "b": b.detach().tolist()}))
`;

// `mults` are the per-group lr factors [w, b]; ours gets them through `lrScale`.
const cases = [
  {
    name: "defaults-like",
    mults: [1, 1],
    lrs: [1e-3, 1e-3, 1e-3, 1e-3, 1e-3],
    wd: 1e-4,
    b1: 0.9,
    b2: 0.999,
    eps: 1e-8,
  },
  {
    name: "big decay, lr changing",
    mults: [1, 1],
    lrs: [0.1, 0.05, 0.05, 0.02, 0.01, 0.01],
    wd: 0.5,
    b1: 0.8,
    b2: 0.99,
    eps: 1e-6,
  },
  {
    // a "backbone" kernel at a tenth of the lr (decay scaled with it), a "head" bias at full lr
    name: "lrScale 0.1 on w = torch param group lr * 0.1",
    mults: [0.1, 1],
    lrs: [0.1, 0.05, 0.05, 0.02],
    wd: 0.5,
    b1: 0.9,
    b2: 0.999,
    eps: 1e-8,
  },
];

for (const c of cases) {
  Deno.test(`AdamW matches torch.optim.AdamW step for step (${c.name})`, async () => {
    const w0 = [[0.3, -1.2, 2.0], [0.05, 0.7, -0.4]];
    const b0 = [0.25, -0.5];
    const ref = await runPythonJson(TORCH_ADAMW, { ...c, w: w0, b: b0 }) as {
      w: number[];
      b: number[];
    };
    const w = tf.variable(tf.tensor2d(w0), true, `adamw_test_w_${c.name}`);
    const b = tf.variable(tf.tensor1d(b0), true, `adamw_test_b_${c.name}`);
    const opt = new AdamW({
      lr: c.lrs[0],
      weightDecay: c.wd,
      beta1: c.b1,
      beta2: c.b2,
      eps: c.eps,
      ...(c.mults[0] !== 1 || c.mults[1] !== 1
        ? { lrScale: (v: tf.Variable) => (v === w ? c.mults[0] : c.mults[1]) }
        : {}),
    });
    for (const lr of c.lrs) {
      opt.learningRate = lr;
      const { value, grads } = tf.variableGrads(() =>
        tf.tidy(() =>
          tf.addN([
            tf.sum(tf.square(tf.sub(w, 0.5))),
            tf.mul(0.1, tf.sum(tf.pow(w, 3))),
            tf.sum(tf.square(tf.add(b, 1))),
            tf.sum(tf.mul(tf.sum(w, 1), b)),
          ]) as tf.Scalar
        ), [w, b]);
      opt.applyGradients(grads);
      tf.dispose([value, ...Object.values(grads)]);
    }
    const got = [...w.dataSync(), ...b.dataSync()];
    const want = [...ref.w, ...ref.b];
    got.forEach((g, i) => {
      assert.ok(
        Math.abs(g - want[i]) < 1e-5 * (1 + Math.abs(want[i])),
        `param ${i}: ${g} vs ${want[i]}`,
      );
    });
    // the step moved the params by much more than the tolerance, so the check has teeth
    assert.ok(Math.abs(got[0] - w0[0][0]) > 1e-3);
    if (c.mults[0] !== 1) {
      // and the scaled variable moved less than torch's unscaled group would have moved it
      const unscaled = await runPythonJson(TORCH_ADAMW, { ...c, mults: [1, 1], w: w0, b: b0 }) as {
        w: number[];
      };
      assert.ok(
        Math.abs(got[0] - w0[0][0]) < 0.5 * Math.abs(unscaled.w[0] - w0[0][0]),
        `${got[0]} vs unscaled ${unscaled.w[0]} from ${w0[0][0]}`,
      );
    }
    opt.dispose();
    tf.dispose([w, b]);
  });
}

Deno.test("AdamW exportState/importState continues exactly where it stopped", () => {
  const loss = (v: tf.Variable) => () =>
    tf.tidy(() => tf.sum(tf.pow(tf.sub(v, 0.3), 4)) as tf.Scalar);
  const run = (v: tf.Variable, opt: AdamW, steps: number) => {
    for (let i = 0; i < steps; i++) {
      const { value, grads } = tf.variableGrads(loss(v), [v]);
      opt.applyGradients(grads);
      tf.dispose([value, ...Object.values(grads)]);
    }
  };
  const init = [[1, 2], [3, -4]];
  const a = tf.variable(tf.tensor2d(init), true, "adamw_resume_a");
  const optA = new AdamW({ lr: 0.05, weightDecay: 0.1 });
  run(a, optA, 6);

  const b = tf.variable(tf.tensor2d(init), true, "adamw_resume_b");
  const optB = new AdamW({ lr: 0.05, weightDecay: 0.1 });
  run(b, optB, 3);
  const saved = optB.exportState([b]);
  const weights = b.dataSync().slice();
  optB.dispose();
  // a fresh variable with another name, as after a process restart
  const c = tf.variable(tf.tensor2d(weights, [2, 2]), true, "adamw_resume_c");
  const optC = new AdamW({ lr: 0.05, weightDecay: 0.1 });
  optC.importState([c], saved);
  assert.equal(optC.iterations, 3);
  run(c, optC, 3);
  assert.deepEqual(Array.from(c.dataSync()), Array.from(a.dataSync()));
  assert.throws(() => optC.importState([c, a], saved), /2 variables/);
  tf.dispose([a, b, c]);
  optA.dispose();
  optC.dispose();
});

Deno.test("AdamW rejects bad hyper-parameters with the field named", () => {
  for (
    const [opts, re] of [
      [{ lr: 0 }, /lr/],
      [{ lr: 1e-3, beta1: 1 }, /beta1/],
      [{ lr: 1e-3, beta2: -0.1 }, /beta2/],
      [{ lr: 1e-3, weightDecay: -1 }, /weightDecay/],
    ] as const
  ) assert.throws(() => new AdamW(opts), re);
  // a bad scale is caught when it is used, naming the variable
  const v = tf.variable(tf.tensor1d([1, 2]), true, "adamw_bad_scale");
  const opt = new AdamW({ lr: 1e-3, lrScale: () => 0 });
  assert.throws(() => opt.applyGradients({ adamw_bad_scale: tf.ones([2]) }), /adamw_bad_scale/);
  opt.dispose();
  v.dispose();
});
