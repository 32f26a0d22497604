import assert from "node:assert/strict";
import { stratifiedSplit } from "./stratified_split.ts";

const LABELS = [...Array(50).fill(0), ...Array(20).fill(1), ...Array(3).fill(2), 3];

Deno.test("stratifiedSplit keeps each class's share in val and covers every index once", () => {
  const cases: [number, number[]][] = [
    // valFraction, expected val count per class 0..3
    [0.2, [10, 4, 1, 0]],
    [0.5, [25, 10, 2, 0]],
    [0, [0, 0, 0, 0]],
  ];
  for (const [fraction, expected] of cases) {
    const { train, val } = stratifiedSplit(LABELS, fraction, 1);
    assert.deepEqual([...train, ...val].sort((a, b) => a - b), LABELS.map((_, i) => i));
    assert.deepEqual([0, 1, 2, 3].map((k) => val.filter((i) => LABELS[i] === k).length), expected);
    // Both sides keep input order.
    assert.deepEqual(train, [...train].sort((a, b) => a - b));
    assert.deepEqual(val, [...val].sort((a, b) => a - b));
  }
});

Deno.test("stratifiedSplit depends only on the seed", () => {
  assert.deepEqual(stratifiedSplit(LABELS, 0.2, 5), stratifiedSplit(LABELS, 0.2, 5));
  assert.notDeepEqual(stratifiedSplit(LABELS, 0.2, 5).val, stratifiedSplit(LABELS, 0.2, 6).val);
});

Deno.test("stratifiedSplit keeps one item on each side of a two-item class", () => {
  const { train, val } = stratifiedSplit([0, 0], 0.01, 0);
  assert.equal(train.length, 1);
  assert.equal(val.length, 1);
  assert.throws(() => stratifiedSplit([0], 1, 0), RangeError);
  assert.throws(() => stratifiedSplit([0], -0.1, 0), RangeError);
});
