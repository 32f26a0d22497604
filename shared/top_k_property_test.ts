/**
 * Property tests of `topK` on random scores (NaN, infinities, signed zeros, many ties) and k:
 * the answer is the head of the documented total order, never more or less.
 * Replay a failure with FC_SEED=<seed printed by fast-check>.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Ranked, topK } from "./top_k.ts";

const FC = { seed: Number(Deno.env.get("FC_SEED") ?? 20240611), numRuns: 400 };

const score = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1, 0.5),
  fc.integer({ min: -3, max: 3 }), // many ties
);
const scoresArb = fc.oneof(
  fc.array(score, { maxLength: 64 }),
  fc.array(score, { maxLength: 64 }).map((xs) => Float32Array.from(xs)),
);

/**
 * The documented order, written from the doc comment: higher score first; NaN after every
 * number (including -Infinity); equal scores by lower index.
 */
function before(scores: ArrayLike<number>, a: number, b: number): boolean {
  const x = scores[a];
  const y = scores[b];
  if (Number.isNaN(x) !== Number.isNaN(y)) return Number.isNaN(y);
  if (!Number.isNaN(x) && x !== y) return x > y;
  return a < b;
}

const wantLength = (n: number, k: number) => (k === 0 ? n : Math.min(k, n));

Deno.test("topK returns the head of the documented order: right length, distinct, sorted, complete", () => {
  fc.assert(
    fc.property(scoresArb, fc.nat({ max: 80 }), (scores, k) => {
      const copy = Array.from(scores);
      const r: Ranked[] = topK(scores, k);
      assert.deepEqual(Array.from(scores), copy, "input unchanged");
      assert.equal(r.length, wantLength(scores.length, k));
      const picked = new Set(r.map((x) => x.index));
      assert.equal(picked.size, r.length, "indices are distinct");
      for (const { index, score } of r) {
        assert.ok(Number.isInteger(index) && index >= 0 && index < scores.length);
        assert.ok(Object.is(score, scores[index]), `score of ${index} is the input's`);
      }
      for (let i = 1; i < r.length; i++) {
        assert.ok(before(scores, r[i - 1].index, r[i].index), `order at ${i}`);
      }
      // Complete: nothing left out ranks ahead of the last one picked.
      const last = r.at(-1);
      if (last) {
        for (let i = 0; i < scores.length; i++) {
          if (!picked.has(i)) assert.ok(before(scores, last.index, i), `index ${i} left out`);
        }
      }
    }),
    FC,
  );
});

Deno.test("topK with a smaller k is a prefix of topK with a larger k", () => {
  fc.assert(
    fc.property(scoresArb, fc.nat({ max: 70 }), fc.nat({ max: 70 }), (scores, a, b) => {
      const [k1, k2] = a <= b ? [a, b] : [b, a];
      if (k1 === 0) return; // 0 means all
      assert.deepEqual(topK(scores, k1), topK(scores, k2).slice(0, k1));
    }),
    FC,
  );
});

Deno.test("topK with k = 0 or k >= n is a permutation of every index", () => {
  fc.assert(
    fc.property(scoresArb, fc.nat({ max: 10 }), (scores, extra) => {
      for (const k of [0, scores.length + extra]) {
        const idx = topK(scores, k).map((x) => x.index).sort((x, y) => x - y);
        assert.deepEqual(idx, Array.from({ length: scores.length }, (_, i) => i));
      }
    }),
    FC,
  );
});

Deno.test("topK rejects every k that is not a non-negative integer with a RangeError", () => {
  const badK = fc.oneof(
    fc.integer({ max: -1 }),
    fc.double({ noInteger: true }),
    fc.constantFrom(NaN, Infinity, -Infinity),
  );
  fc.assert(
    fc.property(scoresArb, badK, (scores, k) => {
      assert.throws(() => topK(scores, k), RangeError);
    }),
    FC,
  );
});
