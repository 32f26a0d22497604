/**
 * The three real architectures (train/models) through exportOnnx: onnx.checker full_check, and
 * tfjs vs onnxruntime-node/web logits with random weights and non-trivial BatchNorm statistics,
 * at two input sizes (one with odd feature-map sizes deeper down), batch 1 and 3, with and
 * without BatchNorm folding. Largest differences are printed for the report.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../shared/rng.ts";
import { type Arch, buildModel } from "../models/build_model.ts";
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

const NUM_CLASSES = 7;
// [arch, input sizes]: small, since tfjs cpu is slow; 40 and 48 give odd maps in later stages
const TABLE: [Arch, number[]][] = [
  ["simple_cnn", [32, 40]],
  ["resnet18", [32, 48]],
  ["efficientnet_b0", [32, 40]],
];

for (const [arch, sizes] of TABLE) {
  Deno.test(`exportOnnx of ${arch} passes onnx.checker and matches tfjs on onnxruntime node and web`, async () => {
    const tmp = await Deno.makeTempDir({ prefix: `export_${arch}_` });
    const paths: string[] = [];
    let worst = { diff: 0, scale: 0, where: "" };
    for (const [si, size] of sizes.entries()) {
      const model = buildModel({ arch, numClasses: NUM_CLASSES, inputSize: size, seed: si });
      const batchNorms = randomizeWeights(model, new Rng(1000 + si));
      assert.ok(batchNorms > 0, `${arch} has BatchNormalization layers to randomize`);
      const meta = testMeta(NUM_CLASSES, [size, size], arch);
      const rng = new Rng(si);
      for (const fold of [false, true]) {
        const bytes = exportOnnx(model, meta, { foldBatchNorm: fold });
        // the checker runs once, on the unfolded and folded export of the first size
        if (si === 0) {
          const path = `${tmp}/${arch}_${fold ? "fold" : "plain"}.onnx`;
          await Deno.writeFile(path, bytes);
          paths.push(path);
        }
        // batch 1 for the folded variant is enough; batch 3 for both
        for (const n of fold ? [3] : [1, 3]) {
          const x = randomNchw(rng, n, size, size);
          const want = tfjsLogits(model, x, n, size, size);
          for (const flavor of ["node", "web"] as const) {
            const got = await ortLogits(flavor, bytes, x, n, size, size);
            assert.deepEqual(got.dims, [n, NUM_CLASSES]);
            const d = maxAbsDiff(want, got.logits);
            const where = `${flavor} size=${size} batch=${n} fold=${fold}`;
            assert.ok(
              d.diff <= parityTolerance(d.scale),
              `${where}: max |diff| ${d.diff} (scale ${d.scale})`,
            );
            if (d.diff > worst.diff) worst = { ...d, where };
          }
        }
      }
      model.dispose();
    }
    const reports = await onnxCheck(paths);
    await Deno.remove(tmp, { recursive: true });
    for (const r of reports) {
      assert.ok(r.ok, `${r.path}: ${r.error}`);
      assert.deepEqual(r.outputs, [{ name: "logits", elem_type: 1, dims: ["batch", NUM_CLASSES] }]);
    }
    assert.ok(reports[0].op_types.includes("BatchNormalization"));
    assert.ok(!reports[1].op_types.includes("BatchNormalization"), "folding left a BN behind");
    console.log(
      `${arch}: largest |tfjs - onnxruntime| ${worst.diff.toExponential(2)} (logit scale ${
        worst.scale.toFixed(2)
      }, ${worst.where})`,
    );
  });
}
