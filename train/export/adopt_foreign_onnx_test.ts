import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { metadataToProps } from "../../shared/model_metadata.ts";
import { Rng } from "../../shared/rng.ts";
import { adoptForeignOnnx } from "./adopt_foreign_onnx.ts";
import { onnxCheck, testMeta } from "./export_test_support.ts";
import { attrInt, attrInts, GraphBuilder } from "./onnx_graph_builder.ts";
import { encodeModel } from "./onnx_proto.ts";
import { readOnnxMetadataProps, summarizeOnnx } from "./read_onnx_metadata.ts";

const [H, W, K] = [5, 4, 3];

/**
 * A model shaped like tf2onnx output: NHWC input 'input_1', 'unk__' batch dims, output
 * 'Identity:0', a producer metadata entry. Computes Gemm(mean over pixels, weights).
 */
function foreignModel(layout: "nhwc" | "nchw", classes = K): Uint8Array {
  const g = new GraphBuilder();
  const rng = new Rng(5);
  const dims = layout === "nhwc" ? ["unk__7", H, W, 3] : ["unk__7", 3, H, W];
  const x = g.addInput("input_1", dims);
  const nchw = layout === "nhwc"
    ? g.add("Transpose", [x], "to_nchw", { perm: attrInts([0, 3, 1, 2]) })
    : x;
  const pooled = g.add("Flatten", [g.add("GlobalAveragePool", [nchw], "gap")], "flat", {
    axis: attrInt(1),
  });
  const wts = Float32Array.from({ length: 3 * classes }, () => rng.normal());
  const y = g.add("Gemm", [pooled, g.addFloatInitializer("w", [3, classes], wts)], "Identity:0");
  g.addOutput(y, ["unk__8", classes]);
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 15 }],
    producerName: "tf2onnx",
    graph: g.build("tf2onnx"),
    metadataProps: [{ key: "tf2onnx.version", value: "1.16" }, {
      key: "edgeclass.arch",
      value: '"stale"',
    }],
  });
}

async function run(bytes: Uint8Array, name: string, data: Float32Array, dims: number[]) {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ [name]: new ort.Tensor("float32", data, dims) });
  await s.release();
  return out[s.outputNames[0]].data as Float32Array;
}

Deno.test("adoptForeignOnnx puts an NCHW pixel_values input in front of an NHWC model", async () => {
  const meta = testMeta(K, [H, W], "resnet18");
  const foreign = foreignModel("nhwc");
  const adopted = adoptForeignOnnx(foreign, meta);
  assert.deepEqual(summarizeOnnx(adopted).inputs, [{
    name: "pixel_values",
    dims: ["batch", 3, H, W],
  }]);
  assert.deepEqual(summarizeOnnx(adopted).outputs, [{ name: "logits", dims: ["batch", K] }]);
  // same image, fed NHWC to the original and NCHW to the adopted model
  const n = 2;
  const rng = new Rng(9);
  const nhwc = Float32Array.from({ length: n * H * W * 3 }, () => rng.uniform(-1, 1));
  const nchw = new Float32Array(nhwc.length);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        for (let c = 0; c < 3; c++) {
          nchw[((b * 3 + c) * H + y) * W + x] = nhwc[((b * H + y) * W + x) * 3 + c];
        }
      }
    }
  }
  const want = await run(foreign, "input_1", nhwc, [n, H, W, 3]);
  const got = await run(adopted, "pixel_values", nchw, [n, 3, H, W]);
  assert.deepEqual(got, want);
  // edgeclass.* replaced, other producers' entries kept
  assert.deepEqual(readOnnxMetadataProps(adopted), {
    "tf2onnx.version": "1.16",
    ...metadataToProps(meta),
  });
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/a.onnx`, adopted);
  const [report] = await onnxCheck([`${dir}/a.onnx`]);
  await Deno.remove(dir, { recursive: true });
  assert.ok(report.ok, report.error ?? "");
});

Deno.test("adoptForeignOnnx renames an NCHW input without adding nodes", () => {
  const adopted = adoptForeignOnnx(foreignModel("nchw"), testMeta(K, [H, W]));
  assert.deepEqual(summarizeOnnx(adopted).inputs, [{
    name: "pixel_values",
    dims: ["batch", 3, H, W],
  }]);
});

Deno.test("adoptForeignOnnx refuses a class count or input size that disagrees with metadata", () => {
  assert.throws(
    () => adoptForeignOnnx(foreignModel("nhwc", 4), testMeta(K, [H, W]), "x.onnx"),
    /x\.onnx: output 'Identity:0' is \[unk__8,4\], expected \[batch, 3\] for 3 labels/,
  );
  assert.throws(
    () => adoptForeignOnnx(foreignModel("nhwc"), testMeta(K, [8, 8]), "x.onnx"),
    /x\.onnx: input 'input_1' is \[unk__7,5,4,3\], expected \[batch, 3, 8, 8\]/,
  );
});
