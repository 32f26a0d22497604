import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { hflip } from "./hflip.ts";
import { randomHorizontalFlip } from "./random_horizontal_flip.ts";
import { frequencyBound, noiseImage, stateAfter } from "./random_test_util_test.ts";

const IMG = noiseImage(5, 4, 1);
const FLIPPED = hflip(IMG);

Deno.test("randomHorizontalFlip flips with frequency near p", () => {
  const n = 20000;
  for (const p of [0, 0.1, 0.5, 0.9, 1]) {
    const t = randomHorizontalFlip(p);
    const rng = new Rng(42);
    let flips = 0;
    for (let i = 0; i < n; i++) {
      const out = t(IMG, rng);
      const isFlip = out.data.every((v, j) => v === FLIPPED.data[j]);
      assert.ok(isFlip || out.data.every((v, j) => v === IMG.data[j]), "flipped or unchanged");
      if (isFlip) flips++;
    }
    const freq = flips / n;
    if (p === 0 || p === 1) assert.equal(freq, p);
    else assert.ok(Math.abs(freq - p) <= frequencyBound(p, n), `p=${p}: frequency ${freq}`);
  }
});

Deno.test("randomHorizontalFlip is reproducible per seed, draws one number, returns a new image", () => {
  const t = randomHorizontalFlip(0.5);
  for (let seed = 0; seed < 20; seed++) {
    const rngA = new Rng(seed);
    const a = t(IMG, rngA);
    assert.deepEqual(t(IMG, new Rng(seed)).data, a.data);
    assert.deepEqual(rngA.state(), stateAfter(seed, 1));
    assert.notEqual(a.data, IMG.data);
  }
  assert.throws(() => randomHorizontalFlip(1.5), RangeError);
  assert.throws(() => randomHorizontalFlip(Number.NaN), RangeError);
});
