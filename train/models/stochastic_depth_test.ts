import assert from "node:assert/strict";
import { chooseBackend, tf } from "../backend.ts";
import { stochasticDepth } from "./stochastic_depth.ts";

await chooseBackend("wasm", () => {});

/** Per-sample values of stochasticDepth(rate) applied to ones [N, 2, 2, 3]. */
function perSample(rate: number, training: boolean, trainable = true): number[][] {
  const layer = stochasticDepth("sd", rate);
  layer.trainable = trainable;
  const y = layer.apply(tf.ones([200, 2, 2, 3]), { training }) as tf.Tensor;
  const rows = y.reshape([200, 12]).arraySync() as number[][];
  y.dispose();
  return rows;
}

Deno.test("stochasticDepth drops whole samples and scales survivors by 1/(1-p) in training", () => {
  const rows = perSample(0.5, true);
  const dropped = rows.filter((r) => r.every((v) => v === 0)).length;
  const kept = rows.filter((r) => r.every((v) => Math.abs(v - 2) < 1e-6)).length;
  assert.equal(dropped + kept, 200, "every sample is all-dropped or all-kept");
  // Binomial(200, 0.5): outside [60, 140] has probability < 1e-8.
  assert.ok(dropped > 60 && dropped < 140, `dropped ${dropped} of 200`);
});

Deno.test("stochasticDepth is the identity at inference, when frozen, and at rate 0", () => {
  const table: Array<[number, boolean, boolean]> = [
    [0.5, false, true],
    [0.5, true, false],
    [0, true, true],
  ];
  for (const [rate, training, trainable] of table) {
    const rows = perSample(rate, training, trainable);
    assert.ok(rows.every((r) => r.every((v) => v === 1)), `${rate} ${training} ${trainable}`);
  }
});

Deno.test("stochasticDepth serializes as an ordinary Dropout", () => {
  const layer = stochasticDepth("features.2.1.stochastic_depth", 0.0125);
  assert.equal(layer.getClassName(), "Dropout");
  assert.deepEqual(layer.getConfig().noiseShape, [null, 1, 1, 1]);
});
