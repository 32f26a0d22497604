import assert from "node:assert/strict";
import { Rng } from "./rng.ts";
import { softmax } from "./softmax.ts";

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-7) =>
  a.length === b.length && Array.from(a).every((v, i) => Math.abs(v - b[i]) <= tol);

const CASES: { name: string; logits: number[]; t?: number; want: number[] }[] = [
  { name: "closed form [0, ln 3]", logits: [0, Math.log(3)], want: [0.25, 0.75] },
  { name: "equal logits", logits: [2, 2, 2, 2], want: [0.25, 0.25, 0.25, 0.25] },
  { name: "huge logits do not overflow", logits: [1000, 1000 + Math.log(3)], want: [0.25, 0.75] },
  { name: "tiny logits do not underflow to NaN", logits: [-1000, -1000], want: [0.5, 0.5] },
  {
    name: "temperature 2 halves the logits",
    logits: [0, 2 * Math.log(3)],
    t: 2,
    want: [0.25, 0.75],
  },
  {
    name: "+Infinity takes everything",
    logits: [1, Infinity, 3, Infinity],
    want: [0, 0.5, 0, 0.5],
  },
  { name: "all -Infinity is uniform", logits: [-Infinity, -Infinity], want: [0.5, 0.5] },
  { name: "-Infinity gets zero", logits: [-Infinity, 0], want: [0, 1] },
  { name: "single logit", logits: [-5], want: [1] },
  { name: "empty", logits: [], want: [] },
];

Deno.test("softmax gives the known values", () => {
  for (const c of CASES) {
    const p = softmax(c.logits, c.t);
    assert.ok(p instanceof Float32Array, c.name);
    assert.ok(close(p, c.want), `${c.name}: ${Array.from(p)}`);
  }
  assert.ok(softmax([1, NaN, 2]).every(Number.isNaN), "NaN propagates");
});

Deno.test("softmax matches numpy in float64 on random logits", async () => {
  const rng = new Rng(3);
  const logits = Array.from({ length: 1000 }, () => rng.normal() * 20);
  const code = "import json,sys,numpy as np;x=np.array(json.load(sys.stdin),dtype=np.float64);" +
    "e=np.exp(x-x.max());print(json.dumps((e/e.sum()).tolist()))";
  const proc = new Deno.Command("/usr/bin/python3", {
    args: ["-c", code],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = proc.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(logits)));
  await w.close();
  const want: number[] = JSON.parse(new TextDecoder().decode((await proc.output()).stdout));
  const p = softmax(logits);
  // float32 output: relative error of one float32 rounding
  assert.ok(Array.from(p).every((v, i) => Math.abs(v - want[i]) <= want[i] * 2 ** -23 + 1e-45));
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-5);
});

Deno.test("softmax keeps the order and ignores a constant shift", () => {
  const rng = new Rng(4);
  const x = Array.from({ length: 50 }, () => rng.uniform(-10, 10));
  const p = softmax(x);
  const q = softmax(x.map((v) => v + 123.5));
  assert.ok(close(p, q, 1e-6));
  for (let i = 0; i < x.length; i++) {
    for (let j = 0; j < x.length; j++) if (x[i] > x[j]) assert.ok(p[i] >= p[j]);
  }
});

Deno.test("softmax rejects a bad temperature", () => {
  for (const t of [0, -1, NaN, Infinity]) assert.throws(() => softmax([1, 2], t), RangeError);
});
