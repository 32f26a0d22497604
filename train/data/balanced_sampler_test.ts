import assert from "node:assert/strict";
import { Rng } from "../../shared/rng.ts";
import { balancedIndices } from "./balanced_sampler.ts";

Deno.test("balancedIndices draws every class about equally however skewed the data is", () => {
  const labels = [...Array(900).fill(0), ...Array(90).fill(1), ...Array(10).fill(2)];
  const draws = balancedIndices(labels, 30000, new Rng(1));
  const perClass = [0, 1, 2].map((k) => draws.filter((i) => labels[i] === k).length / draws.length);
  // Binomial sd at n=30000, p=1/3 is 0.0027; 0.02 is over 7 sd.
  for (const share of perClass) assert.ok(Math.abs(share - 1 / 3) < 0.02, `${perClass}`);
  // Within the rare class every sample is drawn (10 samples, ~10000 draws).
  const rare = new Set(draws.filter((i) => labels[i] === 2));
  assert.equal(rare.size, 10);
});

Deno.test("balancedIndices is deterministic for a seed and handles empty input", () => {
  const labels = [0, 1, 1, 2, 2, 2];
  assert.deepEqual(
    balancedIndices(labels, 20, new Rng(4)),
    balancedIndices(labels, 20, new Rng(4)),
  );
  assert.deepEqual(balancedIndices([], 5, new Rng(0)), []);
});
