import assert from "node:assert/strict";
import { readOnnxInfo } from "./onnx_info.ts";
import { makeTinyModel } from "./tiny_model_fixture.ts";

const ONNX_VIEW = `
import json, sys, onnx
m = onnx.load(sys.argv[1])
def vi(v):
    dims = [d.dim_param if d.dim_param else d.dim_value for d in v.type.tensor_type.shape.dim]
    return {"name": v.name, "elemType": v.type.tensor_type.elem_type, "dims": dims}
print(json.dumps({
    "metadataProps": {p.key: p.value for p in m.metadata_props},
    "inputs": [vi(v) for v in m.graph.input],
    "outputs": [vi(v) for v in m.graph.output],
}))
`;

Deno.test("readOnnxInfo reads what the onnx python package reads", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = await makeTinyModel(dir, "m", { labels: ["a", "b", "c"], size: 24 });
    const out = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", ONNX_VIEW, model.onnxPath],
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const expected = JSON.parse(new TextDecoder().decode(out.stdout));
    const got = readOnnxInfo(await Deno.readFile(model.onnxPath));
    assert.deepEqual(got, expected);
    assert.deepEqual(got.inputs[0].dims, ["batch", 3, 24, 24]);
    assert.equal(JSON.parse(got.metadataProps["edgeclass.labels"]).length, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readOnnxInfo refuses bytes that are not a model, naming the source", async (t) => {
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array()],
    ["png magic", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])],
    ["length past the end", new Uint8Array([0x3a, 0x7f, 0x01])],
    ["bad wire type", new Uint8Array([0x0f, 0x00])],
    ["unterminated varint", new Uint8Array([0x08, 0xff, 0xff])],
  ];
  for (const [name, bytes] of cases) {
    await t.step(name, () => {
      assert.throws(() => readOnnxInfo(bytes, "x.onnx"), (e: Error) => {
        assert.ok(e instanceof TypeError);
        assert.match(e.message, /^x\.onnx: not a valid ONNX file/);
        return true;
      });
    });
  }
});
