/**
 * A full backward pass of every architecture on wasm (with our added gradient kernels) must
 * give the cpu backend's gradients (tfjs's reference kernels).
 *
 * BatchNorm in training mode over tiny per-channel samples (resnet's 1x1 layer4 at input 32,
 * batch 2) is so ill-conditioned that float32 rounding alone changes gradients by percents, so
 * the deep nets are differentiated in inference mode (every conv/depthwise/pool gradient
 * kernel still runs) and SimpleCNN, whose BatchNorms see >= 32 values, in training mode.
 */
import assert from "node:assert/strict";
import { chooseBackend, tf } from "../backend.ts";
import { type Arch, ARCHS, buildModel } from "./build_model.ts";

const SIZE = 32;
const NUM_CLASSES = 4;

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Gradients of a random projection of the logits w.r.t. every trainable weight. */
function gradients(model: tf.LayersModel, training: boolean): Map<string, Float32Array> {
  const x = tf.tensor4d(values(2 * SIZE * SIZE * 3, 1), [2, SIZE, SIZE, 3]);
  const r = tf.tensor2d(values(2 * NUM_CLASSES, 2), [2, NUM_CLASSES]);
  const { value, grads } = tf.variableGrads(() =>
    tf.sum(tf.mul(model.apply(x, { training }) as tf.Tensor, r)) as tf.Scalar
  );
  const out = new Map<string, Float32Array>();
  for (const [name, g] of Object.entries(grads)) out.set(name, g.dataSync() as Float32Array);
  tf.dispose([x, r, value, ...Object.values(grads)]);
  return out;
}

for (const arch of ARCHS) {
  const training = arch === "simple_cnn";
  Deno.test(`${arch} ${training ? "training" : "inference"}-mode gradients on wasm equal cpu's`, async () => {
    await chooseBackend("cpu", () => {});
    const model = buildModel({
      arch: arch as Arch,
      numClasses: NUM_CLASSES,
      inputSize: SIZE,
      seed: 9,
    });
    // Random masks would differ between the two runs: turn dropout/stochastic depth off.
    for (const layer of model.layers) {
      if (layer.getClassName() === "Dropout") (layer as unknown as { rate: number }).rate = 0;
    }
    const cpu = gradients(model, training);
    await chooseBackend("wasm", () => {});
    const wasm = gradients(model, training);
    assert.equal(wasm.size, model.trainableWeights.length);
    for (const [name, expected] of cpu) {
      const actual = wasm.get(name);
      assert.ok(actual, name);
      let scale = 0;
      let worst = 0;
      for (let i = 0; i < expected.length; i++) {
        scale = Math.max(scale, Math.abs(expected[i]));
        const d = Math.abs(actual[i] - expected[i]);
        if (!(d <= worst)) worst = d;
      }
      // Backends sum in different orders; 1e-3 of the largest entry still catches any wrong
      // index, flip or padding. The absolute 1e-6 covers conv biases feeding a training-mode
      // BatchNorm, whose exact gradient is 0.
      assert.ok(worst <= 1e-3 * scale + 1e-6, `${name}: max abs diff ${worst}, scale ${scale}`);
    }
    model.dispose();
  });
}
