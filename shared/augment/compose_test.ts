import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { colorJitter } from "./color_jitter.ts";
import { compose } from "./compose.ts";
import { randomHorizontalFlip } from "./random_horizontal_flip.ts";
import { randomRotation } from "./random_rotation.ts";
import { noiseImage } from "./random_test_util_test.ts";
import type { Transform } from "./transform.ts";

const IMG = noiseImage(10, 8, 6);

Deno.test("compose applies transforms left to right on one shared rng", () => {
  const steps: Transform[] = [
    randomHorizontalFlip(0.5),
    randomRotation(20),
    colorJitter({ brightness: 0.3, hue: 0.1 }),
  ];
  const chain = compose(...steps);
  for (let seed = 0; seed < 10; seed++) {
    const rng = new Rng(seed);
    let want = IMG;
    for (const step of steps) want = step(want, rng);
    const chained = new Rng(seed);
    assert.deepEqual(chain(IMG, chained).data, want.data, `seed ${seed}`);
    assert.deepEqual(chained.state(), rng.state(), "same number of draws");
  }
});

Deno.test("compose order matters: a tagging transform sees its predecessors' output", () => {
  const log: string[] = [];
  const tag = (name: string): Transform => (img) => (log.push(name), img);
  compose(tag("a"), tag("b"), tag("c"))(IMG, new Rng(0));
  assert.deepEqual(log, ["a", "b", "c"]);
});

Deno.test("compose() with no transforms returns an equal new image", () => {
  const out = compose()(IMG, new Rng(0));
  assert.deepEqual(out.data, IMG.data);
  assert.notEqual(out.data, IMG.data);
});
