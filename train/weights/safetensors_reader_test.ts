import assert from "node:assert/strict";
import { f16BitsToNumber, readSafetensors, tensorToFloat32 } from "./safetensors_reader.ts";
import { runPython } from "./run_python.ts";

/** Builds a safetensors file from a header object and a data buffer (for corrupt variants). */
function encode(header: unknown, data: Uint8Array, rawHeader?: string): Uint8Array {
  const text = new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

// Values chosen to hit f16/bf16 corners: subnormals, signed zero, infinities, NaN, rounding.
const PY_WRITE = `
import json, sys, torch
sys.path.insert(0, "scripts")
from pth_to_safetensors import save_safetensors
vals = [0.0, -0.0, 1.0, -2.5, 65504.0, 6.1e-05, 5.96e-08, 1e-9, 3.14159, float("inf"), float("-inf"), float("nan"), 1e20, -7.3e-3]
base = torch.tensor(vals, dtype=torch.float64)
sd = {
  "f64": base.clone(),
  "f32": base.float().reshape(2, 7),
  "f16": base.half(),
  "bf16": base.bfloat16(),
  "i64": torch.arange(6, dtype=torch.int64).reshape(3, 2),
  "empty": torch.zeros(0, 4),
}
save_safetensors(sd, sys.argv[1], {"note": "hi"})
def enc(x):
  # float32 bit patterns: exact, and JSON has no inf/nan
  return x.float().contiguous().view(torch.int32).flatten().tolist()
print(json.dumps({k: enc(v) for k, v in sd.items() if v.is_floating_point()}))
`;

function decodeExpected(bits: number[]): Float32Array {
  return new Float32Array(Int32Array.from(bits).buffer);
}

Deno.test("readSafetensors converts F64/F32/F16/BF16 exactly like torch's .float()", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/t.safetensors`;
    const expected = JSON.parse(await runPython(["-", path], PY_WRITE)) as Record<string, number[]>;
    const file = readSafetensors(await Deno.readFile(path), path);
    assert.deepEqual(file.metadata, { note: "hi" });
    assert.deepEqual([...file.tensors.keys()].sort(), [
      "bf16",
      "empty",
      "f16",
      "f32",
      "f64",
      "i64",
    ]);
    assert.deepEqual(file.tensors.get("f32")!.shape, [2, 7]);
    assert.equal(file.tensors.get("bf16")!.dtype, "BF16");
    for (const [name, want] of Object.entries(expected)) {
      const got = tensorToFloat32(file.tensors.get(name)!, path);
      const exp = decodeExpected(want);
      assert.equal(got.length, exp.length, name);
      // Object.is: bit-exact, including -0 and NaN
      for (let i = 0; i < exp.length; i++) {
        assert.ok(Object.is(got[i], exp[i]), `${name}[${i}]: ${got[i]} vs ${exp[i]}`);
      }
    }
    assert.throws(
      () => tensorToFloat32(file.tensors.get("i64")!, path),
      /t\.safetensors: tensor 'i64' has dtype I64/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("f16BitsToNumber decodes every 16-bit pattern like a float16 array would", () => {
  // Independent reference: the runtime's own Float16Array when present, else spot values.
  const F16 =
    (globalThis as { Float16Array?: new (b: ArrayBuffer) => ArrayLike<number> }).Float16Array;
  if (F16) {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const ref = new F16(bits.buffer);
    for (let i = 0; i < 65536; i++) assert.ok(Object.is(f16BitsToNumber(i), ref[i]), `bits ${i}`);
  }
  const table: [number, number][] = [
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [
      0x8000,
      -0,
    ],
    [0x7c00, Infinity],
  ];
  for (const [bits, want] of table) {
    assert.ok(Object.is(f16BitsToNumber(bits), want), `bits ${bits}`);
  }
  assert.ok(Number.isNaN(f16BitsToNumber(0x7e00)));
});

const GOOD_HEADER = {
  a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
  b: { dtype: "F16", shape: [2, 1], data_offsets: [8, 12] },
};

Deno.test("readSafetensors accepts a minimal hand-made file and returns views", () => {
  const data = new Uint8Array(12);
  new DataView(data.buffer).setFloat32(4, 1.5, true);
  const file = readSafetensors(encode(GOOD_HEADER, data), "mini.safetensors");
  assert.deepEqual(Array.from(tensorToFloat32(file.tensors.get("a")!)), [0, 1.5]);
  assert.deepEqual(file.tensors.get("b")!.shape, [2, 1]);
  // a header padded with trailing spaces (as the reference writer does) is valid
  const padded = readSafetensors(encode(null, data, JSON.stringify(GOOD_HEADER) + "    "), "p");
  assert.equal(padded.tensors.size, 2);
});

Deno.test("readSafetensors rejects malformed files with an error naming the file", () => {
  const d12 = new Uint8Array(12);
  const hugeLen = new Uint8Array(16);
  new DataView(hugeLen.buffer).setBigUint64(0, 200_000_000n, true);
  const pastEnd = encode(GOOD_HEADER, d12).subarray(0, 30);
  new DataView(pastEnd.buffer, pastEnd.byteOffset).setBigUint64(0, 100n, true);
  const cases: [string, Uint8Array, RegExp][] = [
    ["too short", new Uint8Array(5), /shorter than the 8-byte header length/],
    ["header over limit", hugeLen, /exceeds the 100000000-byte limit/],
    ["header past end", pastEnd, /runs past the end/],
    ["not json", encode(null, d12, "{nope"), /not valid UTF-8 JSON/],
    ["array header", encode(null, d12, "[1,2]"), /does not start with '\{'|must be a JSON object/],
    ["bad utf8", encode(null, d12, "{}").map((b, i) => (i === 9 ? 0xff : b)), /not valid UTF-8/],
    [
      "unknown dtype",
      encode({ a: { dtype: "F8", shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      /tensor 'a' has unsupported dtype "F8"/,
    ],
    [
      "negative shape",
      encode({ a: { dtype: "U8", shape: [-1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      /shape must be an array of non-negative integers/,
    ],
    [
      "offsets past buffer",
      encode({ a: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, new Uint8Array(12)),
      /end 16 is past the 12-byte data buffer/,
    ],
    [
      "byte count vs shape",
      encode({ a: { dtype: "F32", shape: [2], data_offsets: [0, 12] } }, d12),
      /has 12 bytes but F32\[2\] needs 8/,
    ],
    [
      "reversed offsets",
      encode({ a: { dtype: "U8", shape: [0], data_offsets: [4, 0] } }, d12),
      /are reversed/,
    ],
    [
      "overlap",
      encode({
        a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
      }, d12),
      /overlaps the previous tensor/,
    ],
    [
      "hole",
      encode({
        a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
        b: { dtype: "F32", shape: [1], data_offsets: [8, 12] },
      }, d12),
      /hole at bytes \[4, 8\)/,
    ],
    [
      "trailing bytes",
      encode({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, d12),
      /4 trailing bytes/,
    ],
    [
      "metadata not strings",
      encode({ __metadata__: { n: 1 }, ...GOOD_HEADER }, d12),
      /__metadata__ 'n' must be a string/,
    ],
    [
      "unknown entry key",
      encode({ a: { dtype: "U8", shape: [0], data_offsets: [0, 0], x: 1 } }, new Uint8Array(0)),
      /unknown key 'x'/,
    ],
  ];
  for (const [what, bytes, re] of cases) {
    assert.throws(() => readSafetensors(bytes, "bad.safetensors"), (e: Error) => {
      assert.match(e.message, /^bad\.safetensors: /, what);
      assert.match(e.message, re, what);
      return true;
    });
  }
});
