import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { chooseBackend } from "../backend.ts";
import { expectedTorchShape, torchShapeFits, torchToTfjs } from "./torch_to_tfjs_layout.ts";
import { runPython } from "./run_python.ts";

// torch computes conv / depthwise conv / linear with its own layouts; the converted weights
// must make tfjs compute the same numbers.
const PY = `
import json, torch
import torch.nn.functional as F
g = torch.Generator().manual_seed(3)
x = torch.randn(1, 4, 5, 6, generator=g)                   # NCHW
conv_w = torch.randn(3, 4, 3, 2, generator=g)              # OIHW, non-square kernel
dw_w = torch.randn(8, 1, 3, 3, generator=g)                # C=4, multiplier 2
lin_w = torch.randn(3, 4, generator=g)                     # [out, in]
lx = torch.randn(2, 4, generator=g)
out = {
  "x": x.flatten().tolist(), "conv_w": conv_w.flatten().tolist(), "dw_w": dw_w.flatten().tolist(),
  "lin_w": lin_w.flatten().tolist(), "lx": lx.flatten().tolist(),
  "conv_y": F.conv2d(x, conv_w).permute(0, 2, 3, 1).flatten().tolist(),
  "dw_y": F.conv2d(x, dw_w, groups=4).permute(0, 2, 3, 1).flatten().tolist(),
  "lin_y": (lx @ lin_w.T).flatten().tolist(),
}
print(json.dumps(out))
`;

function close(a: Float32Array | number[], b: number[], what: string) {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-4, `${what}[${i}]`);
}

Deno.test("torchToTfjs makes tfjs conv, depthwise conv and dense match torch", async () => {
  await chooseBackend("cpu", () => {});
  const r = JSON.parse(await runPython(["-"], PY)) as Record<string, number[]>;
  const x = tf.tensor(r.x, [1, 4, 5, 6]).transpose([0, 2, 3, 1]) as tf.Tensor4D; // NHWC
  const convK = torchToTfjs("conv", [3, 2, 4, 3], Float32Array.from(r.conv_w));
  close(
    tf.conv2d(x, tf.tensor4d(convK, [3, 2, 4, 3]), 1, "valid").dataSync() as Float32Array,
    r.conv_y,
    "conv",
  );
  const dwK = torchToTfjs("depthwise", [3, 3, 4, 2], Float32Array.from(r.dw_w));
  close(
    tf.depthwiseConv2d(x, tf.tensor4d(dwK, [3, 3, 4, 2]), 1, "valid").dataSync() as Float32Array,
    r.dw_y,
    "dw",
  );
  const linK = torchToTfjs("dense", [4, 3], Float32Array.from(r.lin_w));
  close(
    tf.matMul(tf.tensor2d(r.lx, [2, 4]), tf.tensor2d(linK, [4, 3])).dataSync() as Float32Array,
    r.lin_y,
    "dense",
  );
});

Deno.test("expectedTorchShape and torchShapeFits describe each layout", () => {
  const table: [
    Parameters<typeof expectedTorchShape>[0],
    number[],
    number[],
    number[][],
    number[][],
  ][] = [
    // kind, tfjs shape, torch shape, also fits, does not fit
    ["conv", [3, 3, 16, 32], [32, 16, 3, 3], [], [[16, 32, 3, 3], [32, 16, 1, 1]]],
    ["conv", [1, 1, 8, 2], [2, 8, 1, 1], [[2, 8]], [[8, 2]]],
    ["depthwise", [5, 5, 96, 1], [96, 1, 5, 5], [], [[1, 96, 5, 5]]],
    ["dense", [512, 10], [10, 512], [[10, 512, 1, 1]], [[512, 10]]],
    ["vector", [64], [64], [], [[65], [64, 1]]],
  ];
  for (const [kind, tfShape, torchShape, fits, misfits] of table) {
    assert.deepEqual(expectedTorchShape(kind, tfShape), torchShape, kind);
    for (const s of [torchShape, ...fits]) {
      assert.ok(torchShapeFits(kind, tfShape, s), `${kind} ${s}`);
    }
    for (const s of misfits) assert.ok(!torchShapeFits(kind, tfShape, s), `${kind} ${s}`);
  }
  assert.throws(() => torchToTfjs("vector", [3], new Float32Array(4)), RangeError);
});
