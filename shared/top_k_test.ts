import assert from "node:assert/strict";
import { Rng } from "./rng.ts";
import { topK } from "./top_k.ts";

const CASES: { name: string; scores: number[]; k: number; want: number[] }[] = [
  { name: "top 2", scores: [0.1, 0.5, 0.3, 0.1], k: 2, want: [1, 2] },
  { name: "ties go to the lower index", scores: [0.2, 0.4, 0.4, 0.2], k: 4, want: [1, 2, 0, 3] },
  { name: "k larger than n is clamped", scores: [3, 1, 2], k: 10, want: [0, 2, 1] },
  { name: "k = 0 means all", scores: [1, 3, 2], k: 0, want: [1, 2, 0] },
  { name: "NaN ranks last", scores: [NaN, 1, -Infinity, 2], k: 0, want: [3, 1, 2, 0] },
  { name: "negative scores", scores: [-3, -1, -2], k: 1, want: [1] },
  { name: "empty", scores: [], k: 3, want: [] },
];

Deno.test("topK ranks best first with ties to the lower index", () => {
  for (const c of CASES) {
    const r = topK(Float32Array.from(c.scores), c.k);
    assert.deepEqual(r.map((x) => x.index), c.want, c.name);
    assert.deepEqual(r.map((x) => x.score), c.want.map((i) => Math.fround(c.scores[i])), c.name);
  }
});

Deno.test("topK agrees with a full stable sort on random scores with many ties", () => {
  const rng = new Rng(11);
  const scores = Array.from({ length: 500 }, () => rng.int(0, 20) / 4);
  const ref = scores.map((score, index) => ({ index, score }))
    .sort((a, b) => b.score - a.score || a.index - b.index);
  for (const k of [1, 5, 77, 500]) assert.deepEqual(topK(scores, k), ref.slice(0, k), `k=${k}`);
});

Deno.test("topK rejects negative or fractional k", () => {
  for (const k of [-1, 1.5, NaN]) assert.throws(() => topK([1, 2], k), RangeError);
});
