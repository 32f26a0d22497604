import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { chooseBackend } from "./backend.ts";
import { crossEntropy } from "./loss.ts";
import { Rng } from "../shared/rng.ts";
import { runPythonJson } from "./run_python_for_test.ts";

await chooseBackend("cpu", () => {});

// Loss and its gradient w.r.t. the logits, from PyTorch.
const TORCH_CE = `
import json, sys, torch
import torch.nn.functional as F
out = []
for c in json.load(sys.stdin):
    x = torch.tensor(c["logits"], dtype=torch.float64, requires_grad=True)
    loss = F.cross_entropy(x, torch.tensor(c["labels"]), label_smoothing=c["eps"])
    loss.backward()
    out.append({"loss": loss.item(), "grad": x.grad.flatten().tolist()})
print(json.dumps(out))
`;

function randomCase(seed: number, n: number, k: number, scale: number, eps: number) {
  const rng = new Rng(seed);
  const logits = Array.from(
    { length: n },
    () => Array.from({ length: k }, () => rng.normal() * scale),
  );
  const labels = Array.from({ length: n }, () => rng.int(0, k - 1));
  return { logits, labels, eps };
}

const cases = [
  randomCase(1, 6, 4, 1, 0),
  randomCase(2, 6, 4, 1, 0.1),
  randomCase(3, 9, 10, 3, 0.2),
  randomCase(4, 3, 2, 30, 0.05), // large logits: must not overflow
];

Deno.test("crossEntropy matches torch F.cross_entropy(label_smoothing=) in value and gradient", async () => {
  const ref = await runPythonJson(TORCH_CE, cases) as { loss: number; grad: number[] }[];
  cases.forEach((c, i) => {
    const logits = tf.tensor2d(c.logits);
    const labels = tf.tensor1d(c.labels, "int32");
    const loss = crossEntropy(logits, labels, c.eps).dataSync()[0];
    const grad = tf.grad((x: tf.Tensor) => crossEntropy(x as tf.Tensor2D, labels, c.eps))(logits)
      .dataSync();
    assert.ok(
      Math.abs(loss - ref[i].loss) < 1e-5 * (1 + ref[i].loss),
      `case ${i}: ${loss} vs ${ref[i].loss}`,
    );
    grad.forEach((g, j) =>
      assert.ok(
        Math.abs(g - ref[i].grad[j]) < 1e-6,
        `case ${i} grad ${j}: ${g} vs ${ref[i].grad[j]}`,
      )
    );
    tf.dispose([logits, labels]);
  });
});

Deno.test("crossEntropy of a uniform prediction is log(K)", () => {
  const loss = crossEntropy(tf.zeros([3, 8]) as tf.Tensor2D, tf.tensor1d([0, 3, 7], "int32"));
  assert.ok(Math.abs(loss.dataSync()[0] - Math.log(8)) < 1e-6);
});

Deno.test("crossEntropy rejects label smoothing outside [0, 1)", () => {
  const x = tf.zeros([1, 2]) as tf.Tensor2D;
  const y = tf.tensor1d([0], "int32");
  assert.throws(() => crossEntropy(x, y, 1), RangeError);
  assert.throws(() => crossEntropy(x, y, -0.1), RangeError);
});
