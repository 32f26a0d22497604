import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { chooseBackend } from "./backend.ts";
import { clipGradNorm } from "./clip_grad_norm.ts";
import { runPythonJson } from "./run_python_for_test.ts";

await chooseBackend("cpu", () => {});

/** One gradient: flat values and the shape they have (torch gets the same shape). */
type Grad = { values: number[]; shape: number[] };

/** torch 1.13's clip_grad_norm_ on parameters with these gradients. */
async function torchClip(grads: Grad[], maxNorm: number) {
  const code = `
import json, sys, torch
a = json.load(sys.stdin)
ps = [torch.nn.Parameter(torch.zeros(g["shape"])) for g in a["grads"]]
for p, g in zip(ps, a["grads"]):
    p.grad = torch.tensor(g["values"], dtype=torch.float32).reshape(g["shape"])
norm = torch.nn.utils.clip_grad_norm_(ps, a["max"])
print(json.dumps({"norm": float(norm), "grads": [p.grad.flatten().tolist() for p in ps]}))
`;
  return await runPythonJson(code, { grads, max: maxNorm }) as { norm: number; grads: number[][] };
}

/** Clips on the active backend, reads everything back asynchronously, disposes. */
async function clipHere(grads: Grad[], maxNorm: number) {
  const names = grads.map((_, i) => `g${i}`);
  const map: tf.NamedTensorMap = Object.fromEntries(
    grads.map((g, i) => [names[i], tf.tensor(g.values, g.shape)]),
  );
  const { grads: out, norm } = clipGradNorm(map, maxNorm);
  const result = {
    norm: (await norm.data())[0],
    grads: await Promise.all(names.map(async (n) => Array.from(await out[n].data()))),
    shapes: names.map((n) => out[n].shape),
  };
  tf.dispose([norm, ...Object.values(map), ...Object.values(out)]);
  return result;
}

async function assertMatchesTorch(grads: Grad[], maxNorm: number) {
  const ref = await torchClip(grads, maxNorm);
  const got = await clipHere(grads, maxNorm);
  assert.ok(Math.abs(got.norm - ref.norm) <= 1e-6 * ref.norm + 1e-7, `${got.norm} vs ${ref.norm}`);
  assert.deepEqual(got.shapes, grads.map((g) => g.shape));
  got.grads.forEach((gs, i) =>
    gs.forEach((g, j) =>
      assert.ok(
        Math.abs(g - ref.grads[i][j]) <= 1e-6 * Math.abs(ref.grads[i][j]) + 1e-7,
        `grad ${i}[${j}] ${g} vs torch ${ref.grads[i][j]}`,
      )
    )
  );
}

const MIXED: Grad[] = [
  { values: [3, -4, 1], shape: [3] },
  { values: [0.5, 2, -1.5, 0.25], shape: [2, 2] },
  { values: [-7], shape: [1] },
];
const CASES: { name: string; grads: Grad[]; maxNorm: number }[] = [
  { name: "clipped hard (max 1)", grads: MIXED, maxNorm: 1 },
  { name: "clipped (max 5)", grads: MIXED, maxNorm: 5 },
  { name: "norm below max: unchanged (max 100)", grads: MIXED, maxNorm: 100 },
  {
    name: "all-zero gradients: norm 0, unchanged",
    grads: [{ values: [0, 0], shape: [2] }],
    maxNorm: 1,
  },
  { name: "no gradients: norm 0", grads: [], maxNorm: 1 },
];

for (const { name, grads, maxNorm } of CASES) {
  Deno.test(`clipGradNorm matches torch clip_grad_norm_: ${name}`, async () => {
    await assertMatchesTorch(grads, maxNorm);
  });
}

Deno.test("clipGradNorm rejects a max norm that is not > 0", () => {
  for (const bad of [0, -1, NaN]) {
    assert.throws(() => clipGradNorm({}, bad), RangeError);
  }
});

Deno.test("clipGradNorm leaves no intermediate tensors behind", () => {
  const g = { a: tf.tensor1d([3, 4]) };
  const before = tf.memory().numTensors;
  const { grads, norm } = clipGradNorm(g, 1);
  assert.equal(tf.memory().numTensors, before + 2); // one clipped gradient and the norm
  tf.dispose([g.a, grads.a, norm]);
});

// WebGPU under Deno has no synchronous reads (dataSync throws): clipping must not need one.
const adapter = await navigator.gpu?.requestAdapter().catch(() => null);
Deno.test({
  name: "clipGradNorm runs on the webgpu backend and matches torch there",
  ignore: !adapter,
  async fn() {
    try {
      assert.equal((await chooseBackend("webgpu", () => {})).name, "webgpu");
      await assertMatchesTorch(MIXED, 1);
      await assertMatchesTorch(MIXED, 100);
    } finally {
      await chooseBackend("cpu", () => {});
    }
  },
});
