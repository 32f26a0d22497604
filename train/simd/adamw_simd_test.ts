import assert from "node:assert/strict";
import { tf } from "../backend.ts";
import { AdamW } from "../adamw.ts";
import {
  ADAMW_UPDATE,
  adamwUpdate,
  type AdamWUpdateAttrs,
  adamwUpdateComposite,
} from "../adamw_update.ts";
import { randomValues, runOn, type Side, useSide } from "./backend_pair_test_support.ts";

/** Hyper-parameters as AdamW takes them; `attrsFor` derives the kernel's constants like it. */
interface Hyper {
  lr: number;
  wd: number;
  b1: number;
  b2: number;
  eps: number;
}

const DEFAULTS: Hyper = { lr: 1e-3, wd: 1e-4, b1: 0.9, b2: 0.999, eps: 1e-8 };
const AGGRESSIVE: Hyper = { lr: 0.1, wd: 0.5, b1: 0.8, b2: 0.99, eps: 1e-6 };

function attrsFor(h: Hyper, step: number, decay: boolean): AdamWUpdateAttrs {
  return {
    decay: decay ? 1 - h.lr * h.wd : 1,
    beta1: h.b1,
    oneMinusBeta1: 1 - h.b1,
    beta2: h.b2,
    oneMinusBeta2: 1 - h.b2,
    bc2Sqrt: Math.sqrt(1 - h.b2 ** step),
    eps: h.eps,
    stepSize: h.lr / (1 - h.b1 ** step),
  };
}

/**
 * The update in plain JS, rounding to float32 after every operation (float64 arithmetic on
 * float32 operands, rounded once, is the correctly rounded float32 result for + - * / sqrt).
 * An oracle independent of both tfjs and the C kernel.
 */
function referenceUpdate(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  a: AdamWUpdateAttrs,
): Float32Array[] {
  const f = Math.fround;
  const [decay, b1, b1c, b2, b2c, bc2, eps, step] = [
    a.decay,
    a.beta1,
    a.oneMinusBeta1,
    a.beta2,
    a.oneMinusBeta2,
    a.bc2Sqrt,
    a.eps,
    a.stepSize,
  ].map(f);
  const out = [0, 1, 2].map(() => new Float32Array(p.length));
  for (let i = 0; i < p.length; i++) {
    const p1 = f(p[i] * decay);
    const mi = f(f(m[i] * b1) + f(g[i] * b1c));
    const vi = f(f(v[i] * b2) + f(f(g[i] * g[i]) * b2c));
    const denom = f(f(f(Math.sqrt(vi)) / bc2) + eps);
    out[0][i] = f(p1 - f(f(mi / denom) * step));
    out[1][i] = mi;
    out[2][i] = vi;
  }
  return out;
}

/** Index of the first element whose bits differ (any NaN equals any NaN), or -1. */
function firstMismatch(got: Float32Array, want: Float32Array): number {
  assert.equal(got.length, want.length, "length");
  return got.findIndex((x, i) => !Object.is(x, want[i]));
}

function assertBitIdentical(got: Float32Array[], want: Float32Array[], what: string): void {
  ["p", "m", "v"].forEach((name, k) => {
    const i = firstMismatch(got[k], want[k]);
    assert.equal(i, -1, `${what}: ${name}[${i}] is ${got[k][i]}, want ${want[k][i]}`);
  });
}

interface Inputs {
  p: Float32Array;
  g: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

/** Random state with gradients of scale `gScale` and a consistent (positive) second moment. */
function randomInputs(n: number, seed: number, gScale: number): Inputs {
  const g = randomValues(n, seed + 1).map((x) => x * gScale);
  return {
    p: randomValues(n, seed),
    g,
    m: randomValues(n, seed + 2).map((x) => x * gScale * 0.3),
    v: randomValues(n, seed + 3).map((x) => x * x * gScale * gScale),
  };
}

/** The corners, cycled so each lands in SIMD lanes and in the scalar tail. */
function extremeInputs(n: number): Inputs {
  const rows: [number, number, number, number][] = [
    // p, g, m, v
    [0.5, 0, 0, 0], // zero gradient, fresh state: denom is eps, the update is exactly 0
    [-0.25, 0, 0.01, 1e-12], // zero gradient, old momentum
    [1, 1e-20, 1e-21, 1e-40], // subnormal v, g^2 underflows
    [1, -1e-30, 0, 1e-30], // tiny v
    [3, 1e19, 1e18, 1e37], // g^2 near float32 max
    [-3, 3e19, 0, 0], // g^2 overflows: v = Inf, the update is 0
    [2, -1e30, -1e29, 1e38], // huge gradient, v overflows
    [0, 0, 0, 0], // zero everywhere, p stays +0
    [-0, 0, 0, 0], // and -0 stays -0
    [1e-39, 1e-3, 1e-4, 1e-6], // subnormal p
    [1e30, -5, 2, 7], // large p (decay matters)
  ];
  const out = { p: new Float32Array(n), g: new Float32Array(n), m: new Float32Array(n) };
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[(i * 7) % rows.length];
    [out.p[i], out.g[i], out.m[i], v[i]] = r;
  }
  return { ...out, v };
}

/** Runs `update` on `side` with the inputs as [n] tensors; returns [p, m, v]. */
function runUpdate(
  side: Side,
  x: Inputs,
  a: AdamWUpdateAttrs,
  update: typeof adamwUpdate,
): Promise<Float32Array[]> {
  return runOn(
    side,
    () => update(tf.tensor1d(x.p), tf.tensor1d(x.g), tf.tensor1d(x.m), tf.tensor1d(x.v), a),
  );
}

interface Case {
  n: number;
  decay: boolean;
  step: number;
  hyper: Hyper;
  inputs: "normal" | "large grads" | "tiny grads" | "extreme";
}

const cases: Case[] = [];
for (const n of [1, 3, 4, 7, 1000, 4097]) {
  for (const decay of [true, false]) {
    for (const step of [1, 1000]) cases.push({ n, decay, step, hyper: DEFAULTS, inputs: "normal" });
  }
}
cases.push(
  { n: 4099, decay: true, step: 3, hyper: AGGRESSIVE, inputs: "normal" },
  { n: 1003, decay: true, step: 2, hyper: DEFAULTS, inputs: "large grads" },
  { n: 1003, decay: false, step: 7, hyper: DEFAULTS, inputs: "tiny grads" },
  { n: 4099, decay: true, step: 1, hyper: DEFAULTS, inputs: "extreme" },
  { n: 4099, decay: false, step: 1000, hyper: AGGRESSIVE, inputs: "extreme" },
  { n: 11, decay: true, step: 5, hyper: AGGRESSIVE, inputs: "extreme" },
);

function inputsFor(c: Case): Inputs {
  switch (c.inputs) {
    case "normal":
      return randomInputs(c.n, c.n + c.step, 1);
    case "large grads":
      return randomInputs(c.n, 5, 1e15);
    case "tiny grads":
      return randomInputs(c.n, 6, 1e-9); // sqrt(v) about eps
    case "extreme":
      return extremeInputs(c.n);
  }
}

for (const c of cases) {
  const name = `n ${c.n}, ${c.decay ? "decay" : "no decay"}, step ${c.step}, ` +
    `lr ${c.hyper.lr}, ${c.inputs}`;
  Deno.test(`adamwUpdate (wasm SIMD) is bit-identical to the op chain on cpu and wasm: ${name}`, async () => {
    const x = inputsFor(c);
    const a = attrsFor(c.hyper, c.step, c.decay);
    const want = referenceUpdate(x.p, x.g, x.m, x.v, a);
    // a no-op update would make the comparisons vacuous
    assert.ok(want[0].some((p, i) => p !== x.p[i]), "p moved");
    assertBitIdentical(await runUpdate("cpu", x, a, adamwUpdate), want, "op chain on cpu");
    assertBitIdentical(
      await runUpdate("simd", x, a, adamwUpdateComposite),
      want,
      "op chain on stock wasm",
    );
    assertBitIdentical(await runUpdate("simd", x, a, adamwUpdate), want, "SIMD kernel");
  });
}

Deno.test("adamwUpdate runs the SIMD kernel on wasm and the op chain on cpu", async () => {
  const x = randomInputs(8, 1, 1);
  const a = attrsFor(DEFAULTS, 1, true);
  const kernelsOf = async (side: Side) => {
    await useSide(side);
    const info = await tf.profile(() =>
      tf.tidy(() =>
        adamwUpdate(tf.tensor1d(x.p), tf.tensor1d(x.g), tf.tensor1d(x.m), tf.tensor1d(x.v), a)
      )
    );
    return info.kernelNames;
  };
  assert.deepEqual(await kernelsOf("simd"), [ADAMW_UPDATE]);
  const chain = await kernelsOf("cpu");
  assert.ok(!chain.includes(ADAMW_UPDATE) && chain.includes("Sqrt"), `cpu ran ${chain}`);
});

Deno.test("adamwUpdate rejects mismatched shapes and dtypes, naming the input", async () => {
  await useSide("simd");
  const p = tf.zeros([2, 3]);
  const a = attrsFor(DEFAULTS, 1, true);
  const table: [tf.Tensor, tf.Tensor, RegExp][] = [
    [tf.zeros([6]), p, /g has shape 6/],
    [p, tf.zeros([2, 3], "int32"), /m must be float32/],
  ];
  for (const [g, m, re] of table) assert.throws(() => adamwUpdate(p, g, m, p, a), re);
  tf.dispose([p, ...table.flatMap(([g, m]) => [g, m])]);
});

// End to end through the optimizer: several steps with decayed and undecayed variables and a
// per-variable lr scale, so the kernel sees changing moments and bias corrections. The
// gradients are made in JS from the current weights (identical bits on both sides), so only
// the optimizer's arithmetic is compared.
Deno.test("AdamW trains bit-identically on wasm SIMD and on cpu", async () => {
  const w0 = randomValues(4 * 9, 40);
  const b0 = randomValues(9, 41);
  const train = (side: Side) =>
    runOn(side, () => {
      const w = tf.variable(tf.tensor2d(w0, [4, 9]), true, `adamw_simd_w_${side}`);
      const b = tf.variable(tf.tensor1d(b0), true, `adamw_simd_b_${side}`);
      const opt = new AdamW({ lr: 0.05, weightDecay: 0.1, lrScale: (v) => (v === b ? 0.5 : 1) });
      for (let step = 0; step < 6; step++) {
        // grad = noise + w^3 (float32 arithmetic)
        const grads = [w, b].map((v, k) => {
          const noise = randomValues(v.size, 100 + 2 * step + k);
          const x = v.dataSync() as Float32Array;
          return tf.tensor(noise.map((n, i) => n + x[i] * x[i] * x[i]), v.shape);
        });
        opt.applyGradients({ [w.name]: grads[0], [b.name]: grads[1] });
        tf.dispose(grads);
      }
      const [sw, sb] = opt.exportState([w, b]);
      const out = [
        tf.reshape(w, [-1]),
        tf.clone(b),
        ...[sw.m, sw.v, sb.m, sb.v].map((a) => tf.tensor1d(a)),
      ];
      opt.dispose();
      tf.dispose([w, b]);
      return out;
    });
  const want = await train("cpu");
  const got = await train("simd");
  ["w", "b", "w.m", "w.v", "b.m", "b.v"].forEach((name, k) => {
    const i = firstMismatch(got[k], want[k]);
    assert.equal(i, -1, `${name}[${i}]: ${got[k][i]} vs ${want[k][i]}`);
  });
  assert.ok(Math.abs(want[0][0] - w0[0]) > 1e-2, "the weights moved");
});
