import assert from "node:assert/strict";
import { deriveSeed } from "./derive_seed.ts";

Deno.test("deriveSeed is a stable uint32 that changes with every part and their order", () => {
  const cases: number[][] = [[0], [1], [0, 0], [0, 1], [1, 0], [1, 2, 3], [3, 2, 1], [2 ** 32], [
    2 ** 33,
  ]];
  const seen = new Set<number>();
  for (const parts of cases) {
    const s = deriveSeed(...parts);
    assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32);
    assert.equal(deriveSeed(...parts), s);
    seen.add(s);
  }
  assert.equal(seen.size, cases.length);
  assert.throws(() => deriveSeed(NaN), RangeError);
});

Deno.test("deriveSeed spreads consecutive indices over all bits", () => {
  // Each output bit should be set about half the time over 4096 consecutive inputs.
  const ones = new Array(32).fill(0);
  for (let i = 0; i < 4096; i++) {
    const s = deriveSeed(7, 3, i);
    for (let b = 0; b < 32; b++) ones[b] += (s >>> b) & 1;
  }
  for (const n of ones) assert.ok(Math.abs(n / 4096 - 0.5) < 0.05, `${ones}`);
});
