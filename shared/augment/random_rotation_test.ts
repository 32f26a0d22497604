import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { randomRotation } from "./random_rotation.ts";
import { noiseImage, stateAfter } from "./random_test_util_test.ts";
import { rotate } from "./rotate.ts";

const IMG = noiseImage(9, 7, 3);

Deno.test("randomRotation rotates by one uniform angle from the range", () => {
  const table: { degrees: number | [number, number]; lo: number; hi: number }[] = [
    { degrees: 30, lo: -30, hi: 30 },
    { degrees: [10, 80], lo: 10, hi: 80 },
    { degrees: [-5, -5], lo: -5, hi: -5 },
  ];
  for (const { degrees, lo, hi } of table) {
    const t = randomRotation(degrees, [9, 8, 7]);
    for (let seed = 0; seed < 30; seed++) {
      const rng = new Rng(seed);
      const out = t(IMG, rng);
      assert.deepEqual(rng.state(), stateAfter(seed, 1), "one draw per call");
      const angle = lo + (hi - lo) * new Rng(seed).next();
      assert.ok(angle >= lo && angle <= hi);
      assert.deepEqual(out.data, rotate(IMG, angle, [9, 8, 7]).data, `seed ${seed}`);
      assert.deepEqual(t(IMG, new Rng(seed)).data, out.data, "same seed, same output");
    }
  }
});

Deno.test("randomRotation(0) returns an equal copy; bad ranges are rejected", () => {
  const out = randomRotation(0)(IMG, new Rng(1));
  assert.deepEqual(out.data, IMG.data);
  assert.notEqual(out.data, IMG.data);
  assert.throws(() => randomRotation(-1), RangeError);
  assert.throws(() => randomRotation([10, 5]), RangeError);
  assert.throws(() => randomRotation(Infinity), RangeError);
});
