import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import {
  applyColorJitter,
  colorJitter,
  type ColorJitterOptions,
  colorJitterParams,
  colorJitterSpans,
} from "./color_jitter.ts";
import {
  diffImages,
  type GoldenCase,
  type GoldenStep,
  must,
  runGolden,
} from "./golden_harness_test.ts";
import { noiseImage, stateAfter } from "./random_test_util_test.ts";

const OPTIONS: ColorJitterOptions[] = [
  { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 },
  { brightness: [0.5, 1.5] },
  { hue: 0.5 },
  { contrast: 0.8, saturation: [0, 2], hue: [-0.2, 0.05] },
];
const SEEDS = [0, 1, 2, 3, 4, 5];
const IMAGES = ["astronaut", "colors_40x25"];
const OP_NAMES = ["adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue"];

/** torchvision ColorJitter.forward for one draw, as functional steps for the golden script. */
function steps(opts: ColorJitterOptions, seed: number): GoldenStep[] {
  const p = colorJitterParams(colorJitterSpans(opts), new Rng(seed));
  const factors = [p.brightness, p.contrast, p.saturation, p.hue];
  return p.order.filter((op) => factors[op] !== null).map((op) => ({
    op: OP_NAMES[op],
    args: { factor: factors[op] },
  }));
}

const ROWS = OPTIONS.flatMap((opts, o) =>
  SEEDS.flatMap((seed) => IMAGES.map((image) => ({ opts, o, seed, image })))
);
const CASES: GoldenCase[] = ROWS.map((r) => ({
  id: `${r.image}_o${r.o}_s${r.seed}`,
  image: r.image,
  steps: steps(r.opts, r.seed),
}));

Deno.test("colorJitter matches torchvision's functional ops applied in the drawn order", async (t) => {
  const golden = await runGolden(CASES);
  for (const [i, c] of CASES.entries()) {
    const { opts, seed } = ROWS[i];
    await t.step(`${c.id} ${JSON.stringify(c.steps.map((s) => s.op))}`, () => {
      const got = colorJitter(opts)(must(golden.inputs, c.image), new Rng(seed));
      // Every op is exact on its own (see the adjust_* tests), so the chain is exact too.
      assert.deepEqual(diffImages(got, must(golden.outputs, c.id)), { max: 0, fraction: 0 });
    });
  }
});

Deno.test("colorJitterSpans resolves options like torchvision's _check_input", () => {
  const table: [ColorJitterOptions, ReturnType<typeof colorJitterSpans>][] = [
    [{ brightness: 0.4, hue: 0.1 }, {
      brightness: [0.6, 1.4],
      contrast: null,
      saturation: null,
      hue: [-0.1, 0.1],
    }],
    // clipped at 0 for single numbers; [1, 1] and 0 mean "disabled"
    [{ contrast: 1.5, saturation: [1, 1], brightness: 0, hue: [0, 0] }, {
      brightness: null,
      contrast: [0, 2.5],
      saturation: null,
      hue: null,
    }],
    [{ saturation: [0, 3], hue: [-0.5, 0.5] }, {
      brightness: null,
      contrast: null,
      saturation: [0, 3],
      hue: [-0.5, 0.5],
    }],
  ];
  for (const [opts, want] of table) assert.deepEqual(colorJitterSpans(opts), want);
  const bad: ColorJitterOptions[] = [
    { brightness: -0.1 },
    { contrast: [1.2, 0.9] },
    { saturation: [-0.5, 1] },
    { hue: 0.6 },
    { hue: [-0.6, 0] },
    { brightness: Number.NaN },
  ];
  for (const opts of bad) assert.throws(() => colorJitter(opts), RangeError, JSON.stringify(opts));
});

Deno.test("colorJitterParams draws a permutation and in-range factors", () => {
  const spans = colorJitterSpans({ brightness: 0.4, contrast: [0.2, 0.3], hue: 0.25 });
  const orders = new Set<string>();
  for (let seed = 0; seed < 2000; seed++) {
    const rng = new Rng(seed);
    const p = colorJitterParams(spans, rng);
    // 3 draws for the shuffle of 4 ops, then one per enabled op (3 here)
    assert.deepEqual(rng.state(), stateAfter(seed, 6));
    assert.deepEqual([...p.order].sort(), [0, 1, 2, 3]);
    orders.add(p.order.join());
    assert.ok(p.brightness! >= 0.6 && p.brightness! <= 1.4);
    assert.ok(p.contrast! >= 0.2 && p.contrast! <= 0.3);
    assert.equal(p.saturation, null);
    assert.ok(p.hue! >= -0.25 && p.hue! <= 0.25);
  }
  assert.equal(orders.size, 24, "every order of the four ops occurs");
});

Deno.test("colorJitter is reproducible per seed and never mutates its input", () => {
  const img = noiseImage(8, 6, 5);
  const before = img.data.slice();
  const t = colorJitter({ brightness: 0.5, contrast: 0.5, saturation: 0.5, hue: 0.2 });
  for (let seed = 0; seed < 10; seed++) {
    assert.deepEqual(t(img, new Rng(seed)).data, t(img, new Rng(seed)).data);
  }
  assert.deepEqual(img.data, before);
  const none = applyColorJitter(img, {
    order: [0, 1, 2, 3],
    brightness: null,
    contrast: null,
    saturation: null,
    hue: null,
  });
  assert.deepEqual(none.data, img.data);
  assert.notEqual(none.data, img.data);
});
