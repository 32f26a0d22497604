/**
 * exportOnnx on a table of small models, one or two layer types/options each: onnx.checker
 * (Python, full_check) accepts every export, and onnxruntime-node and onnxruntime-web give the
 * tfjs (cpu) logits on the same random inputs, at batch 1 and 3, with and without BN folding.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../shared/rng.ts";
import { exportOnnx } from "./export_onnx.ts";
import {
  maxAbsDiff,
  onnxCheck,
  ortLogits,
  parityTolerance,
  randomizeWeights,
  randomNchw,
  testMeta,
  tfjsLogits,
} from "./export_test_support.ts";

await tf.setBackend("cpu");

type Sym = tf.SymbolicTensor;
const L = tf.layers;
const ap = (layer: tf.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;

interface Case {
  name: string;
  /** [H, W] of the model input. */
  size: [number, number];
  build(input: Sym): Sym;
  /** ONNX ops the export must contain (proves the option under test was really emitted). */
  ops: string[];
}

/** Conv -> GAP -> Dense head, so a body that ends in a feature map yields logits. */
const head = (x: Sym, classes = 4) =>
  ap(L.dense({ units: classes }), ap(L.globalAveragePooling2d({}), x));

const CASES: Case[] = [
  {
    name: "Conv2D same, stride 2 on even input (asymmetric pads), no bias, fused relu",
    size: [8, 8],
    build: (x) =>
      head(
        ap(
          L.conv2d({
            filters: 5,
            kernelSize: 3,
            strides: 2,
            padding: "same",
            useBias: false,
            activation: "relu",
          }),
          x,
        ),
      ),
    ops: ["Conv", "Relu"],
  },
  {
    name: "Conv2D same, 7x7 stride 2 on odd input, fused sigmoid",
    size: [9, 7],
    build: (x) =>
      head(
        ap(
          L.conv2d({
            filters: 4,
            kernelSize: 7,
            strides: 2,
            padding: "same",
            activation: "sigmoid",
          }),
          x,
        ),
      ),
    ops: ["Conv", "Sigmoid"],
  },
  {
    name: "Conv2D valid and same with dilation 2, non-square kernel, fused tanh",
    size: [11, 10],
    build: (x) => {
      const a = ap(
        L.conv2d({ filters: 4, kernelSize: [3, 2], dilationRate: 2, padding: "valid" }),
        x,
      );
      return head(
        ap(
          L.conv2d({
            filters: 4,
            kernelSize: 3,
            dilationRate: 2,
            padding: "same",
            activation: "tanh",
          }),
          a,
        ),
      );
    },
    ops: ["Conv", "Tanh"],
  },
  {
    name: "Conv2D (linear, no bias) + BatchNormalization + ReLU layer (the foldable pair)",
    size: [8, 8],
    build: (x) => {
      const c = ap(L.conv2d({ filters: 6, kernelSize: 3, padding: "same", useBias: false }), x);
      return head(ap(L.reLU(), ap(L.batchNormalization({ epsilon: 1e-5 }), c)));
    },
    ops: ["Conv", "BatchNormalization", "Relu"],
  },
  {
    name: "DepthwiseConv2D multiplier 2, same stride 2, + BN + relu6, swish",
    size: [9, 8],
    build: (x) => {
      const d = ap(
        L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: "same" }),
        x,
      );
      const b = ap(L.batchNormalization({}), d);
      const r6 = ap(L.activation({ activation: "relu6" }), b);
      const d2 = ap(
        L.depthwiseConv2d({ kernelSize: 3, padding: "valid", useBias: false, activation: "swish" }),
        r6,
      );
      return head(d2);
    },
    ops: ["Conv", "BatchNormalization", "Clip", "Sigmoid", "Mul"],
  },
  {
    name: "MaxPooling2D same/valid and AveragePooling2D same (pad excluded)/valid",
    size: [9, 9],
    build: (x) => {
      const c = ap(L.conv2d({ filters: 4, kernelSize: 1 }), x);
      const m1 = ap(L.maxPooling2d({ poolSize: 3, strides: 2, padding: "same" }), c);
      const a1 = ap(L.averagePooling2d({ poolSize: 3, strides: 2, padding: "same" }), c);
      const m2 = ap(L.maxPooling2d({ poolSize: 2, padding: "valid" }), m1);
      const a2 = ap(
        L.averagePooling2d({ poolSize: [2, 1], strides: [1, 2], padding: "valid" }),
        a1,
      );
      const f = ap(L.concatenate({}), [ap(L.flatten(), m2), ap(L.flatten(), a2)]);
      return ap(L.dense({ units: 3 }), f);
    },
    ops: ["MaxPool", "AveragePool", "Concat", "Flatten", "Transpose"],
  },
  {
    name: "ZeroPadding2D + Conv2D valid stride 2 + MaxPool (ResNet stem), GlobalMaxPooling2D",
    size: [10, 10],
    build: (x) => {
      const p = ap(L.zeroPadding2d({ padding: [[3, 3], [2, 4]] }), x);
      const c = ap(L.conv2d({ filters: 4, kernelSize: 7, strides: 2, padding: "valid" }), p);
      const p2 = ap(L.zeroPadding2d({ padding: 1 }), c);
      const m = ap(L.maxPooling2d({ poolSize: 3, strides: 2 }), p2);
      return ap(L.dense({ units: 4 }), ap(L.globalMaxPooling2d({}), m));
    },
    ops: ["Pad", "Conv", "MaxPool", "GlobalMaxPool"],
  },
  {
    name: "Flatten keeps NHWC order into Dense (relu) -> Dropout -> Dense",
    size: [5, 4],
    build: (x) => {
      const c = ap(L.conv2d({ filters: 3, kernelSize: 2, padding: "same" }), x);
      const d = ap(L.dense({ units: 6, activation: "relu" }), ap(L.flatten(), c));
      return ap(L.dense({ units: 3 }), ap(L.dropout({ rate: 0.5 }), d));
    },
    ops: ["Transpose", "Flatten", "Gemm", "Relu"],
  },
  {
    name: "squeeze-excite: GAP -> Reshape [1,1,C] -> Conv 1x1 swish -> Conv sigmoid -> Multiply",
    size: [6, 6],
    build: (x) => {
      const c = ap(L.conv2d({ filters: 8, kernelSize: 3, padding: "same" }), x);
      const s = ap(L.reshape({ targetShape: [1, 1, 8] }), ap(L.globalAveragePooling2d({}), c));
      const e1 = ap(L.conv2d({ filters: 2, kernelSize: 1, activation: "swish" }), s);
      const e2 = ap(L.conv2d({ filters: 8, kernelSize: 1, activation: "sigmoid" }), e1);
      return head(ap(L.multiply(), [c, e2]));
    },
    ops: ["GlobalAveragePool", "Reshape", "Mul", "Sigmoid"],
  },
  {
    name: "residual Add (2 and 3 inputs), Maximum, Minimum, Average",
    size: [6, 5],
    build: (x) => {
      const a = ap(L.conv2d({ filters: 4, kernelSize: 3, padding: "same" }), x);
      const b = ap(L.conv2d({ filters: 4, kernelSize: 1 }), x);
      const c = ap(L.conv2d({ filters: 4, kernelSize: 1, activation: "relu" }), a);
      const s = ap(L.add(), [a, b]);
      const s3 = ap(L.add(), [a, b, c]);
      const mx = ap(L.maximum(), [s, c]);
      const mn = ap(L.minimum(), [s3, b]);
      return head(ap(L.average(), [mx, mn, a]));
    },
    ops: ["Add", "Max", "Min", "Mean"],
  },
  {
    name: "Activation layers: elu selu softplus softsign hardSigmoid tanh softmax linear",
    size: [4, 4],
    build: (x) => {
      let y = ap(L.conv2d({ filters: 4, kernelSize: 1 }), x);
      for (
        const a of [
          "elu",
          "selu",
          "softplus",
          "softsign",
          "hardSigmoid",
          "tanh",
          "softmax",
          "linear",
        ]
      ) {
        // a 1x1 conv between activations keeps values spread out
        y = ap(
          L.conv2d({ filters: 4, kernelSize: 1 }),
          ap(L.activation({ activation: a as "elu" }), y),
        );
      }
      return head(y);
    },
    ops: ["Elu", "Selu", "Softplus", "Softsign", "HardSigmoid", "Tanh", "Softmax"],
  },
  {
    name: "ReLU maxValue, LeakyReLU, ELU alpha, Softmax layer, Rescaling, GaussianNoise",
    size: [4, 6],
    build: (x) => {
      const r = ap(L.rescaling({ scale: 0.5, offset: -0.25 }), x);
      let y = ap(L.conv2d({ filters: 4, kernelSize: 1 }), ap(L.gaussianNoise({ stddev: 1 }), r));
      y = ap(L.conv2d({ filters: 4, kernelSize: 1 }), ap(L.reLU({ maxValue: 0.4 }), y));
      y = ap(L.conv2d({ filters: 4, kernelSize: 1 }), ap(L.leakyReLU({ alpha: 0.1 }), y));
      y = ap(L.conv2d({ filters: 4, kernelSize: 1 }), ap(L.elu({ alpha: 1 }), y));
      return head(ap(L.softmax({ axis: -1 }), y));
    },
    ops: ["Clip", "LeakyRelu", "Elu", "Softmax", "Mul", "Add"],
  },
  {
    name: "Reshape with pixels (NCHW<->NHWC transposes), Dense + BatchNormalization on [N, C]",
    size: [4, 4],
    build: (x) => {
      const c = ap(L.conv2d({ filters: 2, kernelSize: 1 }), x);
      const r = ap(L.reshape({ targetShape: [2, 8, 2] }), c); // rank 4 -> rank 4, pixels move
      const f = ap(L.reshape({ targetShape: [32] }), r);
      const d = ap(L.batchNormalization({ epsilon: 0.01 }), ap(L.dense({ units: 5 }), f));
      return ap(L.dense({ units: 3, useBias: false }), d);
    },
    ops: ["Reshape", "Transpose", "BatchNormalization", "Gemm"],
  },
];

const BATCHES = [1, 3];

function buildCase(c: Case, seed: number): tf.LayersModel {
  const input = tf.input({ shape: [c.size[0], c.size[1], 3] });
  const model = tf.model({ inputs: input, outputs: c.build(input) });
  randomizeWeights(model, new Rng(seed));
  return model;
}

CASES.forEach((c, i) => {
  Deno.test(`exportOnnx matches tfjs logits on onnxruntime node and web: ${c.name}`, async () => {
    const model = buildCase(c, 100 + i);
    const [h, w] = c.size;
    const meta = testMeta(model.outputs[0].shape[1] as number, c.size);
    const rng = new Rng(7 + i);
    for (const fold of [false, true]) {
      const bytes = exportOnnx(model, meta, { foldBatchNorm: fold, opset: fold ? 13 : 17 });
      for (const n of BATCHES) {
        const x = randomNchw(rng, n, h, w);
        const want = tfjsLogits(model, x, n, h, w);
        for (const flavor of ["node", "web"] as const) {
          const got = await ortLogits(flavor, bytes, x, n, h, w);
          assert.deepEqual(got.dims, [n, meta.labels.length]);
          const { diff, scale } = maxAbsDiff(want, got.logits);
          assert.ok(
            diff <= parityTolerance(scale),
            `${flavor} fold=${fold} batch=${n}: max |diff| ${diff} (logit scale ${scale})`,
          );
        }
      }
    }
    model.dispose();
  });
});

Deno.test("exportOnnx output passes onnx.checker full_check at opsets 13 and 17, with the promised ops", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "export_onnx_test_" });
  const exported: { c: Case; path: string; fold: boolean; opset: number }[] = [];
  for (const [i, c] of CASES.entries()) {
    const model = buildCase(c, 100 + i);
    const meta = testMeta(model.outputs[0].shape[1] as number, c.size);
    for (const [fold, opset] of [[false, 17], [true, 13]] as const) {
      const path = `${tmp}/case_${i}_${fold ? "fold" : "plain"}.onnx`;
      await Deno.writeFile(path, exportOnnx(model, meta, { foldBatchNorm: fold, opset }));
      exported.push({ c, path, fold, opset });
    }
    model.dispose();
  }
  const reports = await onnxCheck(exported.map((e) => e.path));
  await Deno.remove(tmp, { recursive: true });
  assert.equal(reports.length, exported.length);
  for (const [i, r] of reports.entries()) {
    const e = exported[i];
    assert.ok(r.ok, `${e.c.name} (fold=${e.fold}): ${r.error}`);
    assert.equal(r.opsets["ai.onnx"], e.opset);
    assert.deepEqual(r.inputs.map((v) => v.name), ["pixel_values"]);
    assert.deepEqual(r.inputs[0].dims, ["batch", 3, ...e.c.size]);
    assert.deepEqual(r.outputs.map((v) => v.name), ["logits"]);
    assert.equal(r.outputs[0].dims[0], "batch");
    for (const op of e.c.ops) {
      if (e.fold && op === "BatchNormalization") continue;
      assert.ok(r.op_types.includes(op), `${e.c.name}: no ${op} in [${r.op_types}]`);
    }
  }
  // folding removed every BN that follows a linear conv, and only those
  const folded = reports.filter((_, i) => exported[i].fold);
  assert.ok(!folded[3].op_types.includes("BatchNormalization"), "conv+BN case still has a BN");
  assert.ok(!folded[4].op_types.includes("BatchNormalization"), "depthwise+BN case still has BN");
  assert.ok(folded[12].op_types.includes("BatchNormalization"), "Dense+BN must not be folded");
});
