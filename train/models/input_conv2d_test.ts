import assert from "node:assert/strict";
import { chooseBackend, tf } from "../backend.ts";
import { buildModel } from "./build_model.ts";
import { fedByInputOnly, inputConv2d } from "./input_conv2d.ts";

await chooseBackend("cpu", () => {});

/** Kernel names run by one training-mode gradient computation of `model`. */
async function gradientKernels(model: tf.LayersModel, size: number): Promise<string[]> {
  const x = tf.randomNormal([2, size, size, 3], 0, 1, "float32", 3);
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(
      () => tf.sum(model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      model.trainableWeights.map((w) => w.read() as tf.Variable),
    );
    tf.dispose([value, ...Object.values(grads)]);
  });
  x.dispose();
  return info.kernels.map((k) => k.name);
}

const count = (names: string[], name: string) => names.filter((n) => n === name).length;

Deno.test("the stem conv of each model skips its input gradient in training", async () => {
  // [arch, size, convs whose input gradient is needed = all convs but the stem]
  const table: [("simple_cnn" | "resnet18"), number, number, number][] = [
    ["simple_cnn", 16, 3, 2],
    ["resnet18", 32, 20, 19],
  ];
  for (const [arch, size, convs, needed] of table) {
    const model = buildModel({ arch, numClasses: 3, inputSize: size, seed: 1 });
    const names = await gradientKernels(model, size);
    assert.equal(count(names, "Conv2DBackpropFilter"), convs, `${arch}: filter gradients`);
    assert.equal(count(names, "Conv2DBackpropInput"), needed, `${arch}: input gradients`);
    model.dispose();
  }
});

Deno.test("inputConv2d equals a plain Conv2D: outputs and weight gradients, train and eval", () => {
  // [kernel, strides, padding, bias, activation]
  const table: [number, number, "same" | "valid", boolean, "linear" | "relu"][] = [
    [3, 1, "same", true, "linear"],
    [7, 2, "valid", false, "linear"],
    [3, 2, "same", true, "relu"],
  ];
  for (const [kernelSize, strides, padding, useBias, activation] of table) {
    const label =
      `${kernelSize}x${kernelSize} s${strides} ${padding} bias ${useBias} ${activation}`;
    const config = { filters: 5, kernelSize, strides, padding, useBias, activation };
    const input = tf.input({ shape: [11, 11, 3] });
    const plain = tf.model({
      inputs: input,
      outputs: tf.layers.conv2d(config).apply(input) as tf.SymbolicTensor,
    });
    const mine = inputConv2d(config);
    const ours = tf.model({ inputs: input, outputs: mine.apply(input) as tf.SymbolicTensor });
    ours.setWeights(plain.getWeights());
    assert.equal(mine.getClassName(), "Conv2D", "exports and serializes as a Conv2D");
    const x = tf.randomNormal([2, 11, 11, 3], 0, 1, "float32", 7);
    for (const training of [true, false]) {
      const run = (m: tf.LayersModel) =>
        tf.variableGrads(
          () => tf.sum(tf.square(m.apply(x, { training }) as tf.Tensor)) as tf.Scalar,
          m.trainableWeights.map((w) => w.read() as tf.Variable),
        );
      const a = run(plain);
      const b = run(ours);
      assert.equal(b.value.dataSync()[0], a.value.dataSync()[0], `${label} training ${training}`);
      const ga = Object.values(a.grads).map((g) => g.dataSync());
      const gb = Object.values(b.grads).map((g) => g.dataSync());
      assert.equal(gb.length, ga.length);
      ga.forEach((g, i) => assert.deepEqual(gb[i], g, `${label}: gradient ${i}`));
      tf.dispose([a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads)]);
    }
    x.dispose();
    plain.dispose();
    ours.dispose();
  }
});

Deno.test("fedByInputOnly follows weightless layers back to the input", () => {
  const input = tf.input({ shape: [8, 8, 3] });
  const padded = tf.layers.zeroPadding2d({ padding: 1 }).apply(input) as tf.SymbolicTensor;
  const conv = tf.layers.conv2d({ filters: 2, kernelSize: 3 }).apply(padded) as tf.SymbolicTensor;
  const pooled = tf.layers.maxPooling2d({ poolSize: 2 }).apply(conv) as tf.SymbolicTensor;
  const table: [string, tf.SymbolicTensor, boolean][] = [
    ["the input", input, true],
    ["padded input", padded, true],
    ["a conv output", conv, false],
    ["pooled conv output", pooled, false],
  ];
  for (const [name, sym, want] of table) assert.equal(fedByInputOnly(sym), want, name);
});
