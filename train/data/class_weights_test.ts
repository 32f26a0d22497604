import assert from "node:assert/strict";
import { classCounts, classWeights } from "./class_weights.ts";

const label = (labels: number[]) => labels.map((l) => ({ label: l }));

Deno.test("classCounts counts labels and rejects out-of-range ones", () => {
  assert.deepEqual(classCounts(label([0, 2, 2, 2, 1]), 4), [1, 1, 3, 0]);
  assert.throws(() => classCounts(label([4]), 4), /label 4/);
  assert.throws(() => classCounts(label([-1]), 4), RangeError);
});

Deno.test("classWeights is inverse frequency with mean sample weight 1", () => {
  // Hand-computed: N=10, 3 classes present -> w = 10 / (3 n).
  const cases: [number[], number[]][] = [
    [[5, 3, 2], [10 / 15, 10 / 9, 10 / 6]],
    [[4, 0, 4], [1, 0, 1]],
    [[7], [1]],
  ];
  for (const [counts, expected] of cases) {
    const w = classWeights(counts);
    w.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12, `${counts}: ${w}`));
    const total = counts.reduce((a, b) => a + b, 0);
    const weighted = counts.reduce((a, n, i) => a + n * w[i], 0);
    assert.ok(Math.abs(weighted - total) < 1e-9);
  }
  assert.deepEqual(classWeights(label([0, 0, 1]), 3), classWeights([2, 1, 0]));
  assert.throws(() => classWeights([1, -2]), RangeError);
});
