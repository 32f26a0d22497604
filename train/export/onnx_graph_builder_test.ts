import assert from "node:assert/strict";
import { attrFloat, attrInt, attrInts, attrString, GraphBuilder } from "./onnx_graph_builder.ts";
import { decodeModel, encodeModel, int64ToNumber, onnx } from "./onnx_proto.ts";

function roundTrip(g: GraphBuilder) {
  const bytes = encodeModel({ irVersion: 8, opsetImport: [{ version: 17 }], graph: g.build("t") });
  return decodeModel(bytes).graph!;
}

Deno.test("GraphBuilder makes names unique and types attributes explicitly", () => {
  const g = new GraphBuilder();
  const x = g.addInput("x", ["batch", 2]);
  const a = g.add("Relu", [x], "y");
  const b = g.add("Elu", [a], "y", {
    alpha: attrFloat(1),
    i: attrInt(1),
    is: attrInts([1, 2]),
    s: attrString("hé"),
  });
  assert.deepEqual([a, b], ["y", "y_2"]);
  g.addOutput(b, ["batch", 2]);
  const graph = roundTrip(g);
  const attrs = graph.node![1].attribute!;
  const T = onnx.AttributeProto.AttributeType;
  // 1 as FLOAT and 1 as INT are different attributes to ONNX: the tag decides
  assert.deepEqual(attrs.map((a) => [a.name, a.type]), [
    ["alpha", T.FLOAT],
    ["i", T.INT],
    ["is", T.INTS],
    ["s", T.STRING],
  ]);
  assert.equal(new TextDecoder().decode(attrs[3].s!), "hé");
  assert.deepEqual(attrs[2].ints!.map((v) => int64ToNumber(v)), [1, 2]);
});

Deno.test("GraphBuilder stores initializers little-endian with their dims", () => {
  const g = new GraphBuilder();
  const f = g.addFloatInitializer("w", [2, 2], new Float32Array([1, -2, 0.5, 3]));
  const i = g.addInt64Initializer("s", [3], [0, -1, 2 ** 40]);
  const x = g.addInput("x", [2]);
  g.addOutput(g.add("Add", [x, f], "y"), [2, 2]);
  const inits = roundTrip(g).initializer!;
  assert.deepEqual(inits.map((t) => [t.name, t.dims!.map((d) => int64ToNumber(d))]), [
    [f, [2, 2]],
    [i, [3]],
  ]);
  const fv = new DataView(inits[0].rawData!.buffer, inits[0].rawData!.byteOffset);
  assert.deepEqual([0, 1, 2, 3].map((k) => fv.getFloat32(4 * k, true)), [1, -2, 0.5, 3]);
  const iv = new DataView(inits[1].rawData!.buffer, inits[1].rawData!.byteOffset);
  assert.deepEqual([0, 1, 2].map((k) => Number(iv.getBigInt64(8 * k, true))), [0, -1, 2 ** 40]);
});

Deno.test("GraphBuilder.renameValue rewrites producer, consumers and outputs", () => {
  const g = new GraphBuilder();
  const x = g.addInput("x", [1]);
  const a = g.add("Relu", [x], "a");
  const b = g.add("Neg", [a], "b");
  g.addOutput(a, [1]);
  g.renameValue(a, "out");
  const graph = roundTrip(g);
  assert.deepEqual(graph.node!.map((n) => [n.input, n.output]), [[["x"], ["out"]], [["out"], [b]]]);
  assert.equal(graph.output![0].name, "out");
  assert.throws(() => g.renameValue("x", "z"), /graph input or initializer/);
  assert.throws(() => g.add("Relu", ["nope"], "c"), /input 'nope' is not defined yet/);
});
