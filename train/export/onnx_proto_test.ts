import assert from "node:assert/strict";
import { decodeModel, encodeModel, int64ToNumber, irVersionForOpset, onnx } from "./onnx_proto.ts";

Deno.test("int64ToNumber reads protobufjs Longs and numbers, refusing unsafe values", () => {
  const decoded = decodeModel(encodeModel({ irVersion: 8, modelVersion: 2 ** 40 + 3 }));
  // protobufjs decodes int64 as a Long object when the long package loads (it does under Deno)
  assert.equal(typeof decoded.irVersion, "object");
  assert.equal(int64ToNumber(decoded.irVersion), 8);
  assert.equal(int64ToNumber(decoded.modelVersion), 2 ** 40 + 3);
  assert.equal(int64ToNumber(5), 5);
  assert.equal(int64ToNumber(null), 0);
  assert.throws(() => int64ToNumber(2 ** 60, "dims"), /dims: .* is not a safe integer/);
});

Deno.test("encodeModel returns a plain Uint8Array owning its buffer", () => {
  const bytes = encodeModel({ irVersion: 8, producerName: "x" });
  assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype);
  assert.equal(bytes.byteOffset, 0);
  assert.equal(bytes.buffer.byteLength, bytes.length);
  assert.equal(onnx.ModelProto.decode(bytes).producerName, "x");
});

Deno.test("irVersionForOpset matches onnx.helper.VERSION_TABLE for opsets 13..17", async () => {
  const script = "import json, onnx.helper as h\n" +
    "print(json.dumps({str(r[2]): r[1] for r in h.VERSION_TABLE}))";
  const out = await new Deno.Command("/usr/bin/python3", { args: ["-c", script] }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  // the table lists each release, so an opset maps to the IR of the first release that has it
  const table: Record<string, number> = JSON.parse(new TextDecoder().decode(out.stdout));
  for (const opset of [13, 14, 15, 16, 17]) {
    assert.equal(irVersionForOpset(opset), table[String(opset)], `opset ${opset}`);
  }
});
