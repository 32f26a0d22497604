import assert from "node:assert/strict";
import { Rng } from "../../shared/rng.ts";
import { pairedSum, quantile, ratio, summarize } from "./summarize.ts";

const PYTHON = "/usr/bin/python3";

async function numpyPercentiles(xs: number[], qs: number[]): Promise<number[]> {
  const code = "import json, sys, numpy as np; d = json.load(sys.stdin); " +
    "print(json.dumps([float(np.percentile(d['xs'], q * 100)) for q in d['qs']]))";
  const child = new Deno.Command(PYTHON, { args: ["-c", code], stdin: "piped", stdout: "piped" })
    .spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify({ xs, qs })));
  await w.close();
  const out = await child.output();
  assert.ok(out.success, "numpy percentile failed");
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("quantile matches numpy.percentile (linear) on random samples", async () => {
  const rng = new Rng(7);
  const cases = [1, 2, 3, 10, 57, 400].map((n) =>
    Array.from({ length: n }, () => Math.exp(rng.normal()) * 3)
  );
  const qs = [0, 0.1, 0.5, 0.9, 0.99, 1];
  for (const xs of cases) {
    const want = await numpyPercentiles(xs, qs);
    qs.forEach((q, i) => {
      const got = quantile(xs, q);
      assert.ok(Math.abs(got - want[i]) <= 1e-9 * Math.max(1, want[i]), `n=${xs.length} q=${q}`);
    });
  }
});

Deno.test("quantile rejects empty samples and q outside [0, 1]", () => {
  const cases: [number[], number][] = [[[], 0.5], [[1], -0.1], [[1], 1.5], [[1], NaN]];
  for (const [xs, q] of cases) assert.throws(() => quantile(xs, q), RangeError);
});

Deno.test("summarize gives n, median, tails and extremes", () => {
  const s = summarize([5, 1, 4, 2, 3]);
  assert.deepEqual(s, { n: 5, median: 3, p90: 4.6, p99: 4.96, min: 1, max: 5 });
  assert.throws(() => summarize([]), RangeError);
});

Deno.test("pairedSum adds stage samples index by index over the shortest stage", () => {
  const cases: [number[][], number[]][] = [
    [[[1, 2, 3], [10, 20, 30]], [11, 22, 33]],
    [[[1, 2, 3], [10, 20], [100, 200, 300, 400]], [111, 222]],
    [[[4]], [4]],
  ];
  for (const [stages, want] of cases) assert.deepEqual(pairedSum(stages), want);
  assert.throws(() => pairedSum([]), RangeError);
  assert.throws(() => pairedSum([[1], []]), RangeError);
});

Deno.test("ratio is a / b to 3 digits, null when a side is missing or b is not positive", () => {
  const cases: [number | undefined, number | undefined, number | null][] = [
    [3, 2, 1.5],
    [1, 3, 0.333],
    [undefined, 2, null],
    [2, undefined, null],
    [2, 0, null],
  ];
  for (const [a, b, want] of cases) assert.equal(ratio(a, b), want);
});
