import assert from "node:assert/strict";
import { makeImage } from "../image.ts";
import { Rng } from "../rng.ts";
import { randomGrayscale } from "./random_grayscale.ts";
import { frequencyBound, noiseImage, stateAfter } from "./random_test_util_test.ts";
import { rgbToGrayscale } from "./rgb_to_grayscale.ts";

const IMG = noiseImage(6, 3, 2);
const GRAY = rgbToGrayscale(IMG, 3);

Deno.test("randomGrayscale grays (3 channels) with frequency near p", () => {
  const n = 20000;
  for (const p of [0, 0.1, 0.5, 1]) {
    const t = randomGrayscale(p);
    const rng = new Rng(7);
    let grays = 0;
    for (let i = 0; i < n; i++) {
      const out = t(IMG, rng);
      assert.equal(out.channels, 3);
      const isGray = out.data.every((v, j) => v === GRAY.data[j]);
      assert.ok(isGray || out.data.every((v, j) => v === IMG.data[j]), "gray or unchanged");
      if (isGray) grays++;
    }
    const freq = grays / n;
    if (p === 0 || p === 1) assert.equal(freq, p);
    else assert.ok(Math.abs(freq - p) <= frequencyBound(p, n), `p=${p}: frequency ${freq}`);
  }
});

Deno.test("randomGrayscale is reproducible per seed and draws one number", () => {
  const t = randomGrayscale(0.5);
  for (let seed = 0; seed < 20; seed++) {
    const rng = new Rng(seed);
    assert.deepEqual(t(IMG, rng).data, t(IMG, new Rng(seed)).data);
    assert.deepEqual(rng.state(), stateAfter(seed, 1));
  }
  assert.throws(() => randomGrayscale(-0.1), RangeError);
  assert.throws(() => randomGrayscale(1)(makeImage(1, 1, 1), new Rng(0)), RangeError);
});
