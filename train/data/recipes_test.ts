import assert from "node:assert/strict";
import { hflip, rotate, vflip } from "../../shared/augment/mod.ts";
import { type Image, makeImage } from "../../shared/image.ts";
import { Rng } from "../../shared/rng.ts";
import { type Recipe, trainTransform } from "./recipes.ts";
import { DEFAULT_WAFER_OPTIONS, waferImage } from "./wafer.ts";
import { WAFER_COLORS } from "./render_wafer_map.ts";
import { DIE_OUTSIDE, DIE_PASS } from "./wafer_map.ts";

const RECIPES: Recipe[] = ["basic", "strong", "pretrained"];

function photo(w: number, h: number): Image {
  const data = new Uint8Array(w * h * 3).map((_, i) => (i * 31 + (i >> 5) * 7) % 256);
  return makeImage(w, h, 3, data);
}

const key = (img: Image) => Array.from(img.data).join(",");

Deno.test("trainTransform gives size x size RGB for every recipe and domain, deterministically", () => {
  for (const domain of ["photo", "wafer"] as const) {
    for (const recipe of RECIPES) {
      const t = trainTransform(recipe, 24, { domain, fill: [68, 1, 84] })!;
      const input = photo(40, 30);
      const outs = [1, 2, 3, 4, 5, 6].map((seed) => t(input, new Rng(seed)));
      for (const out of outs) assert.deepEqual([out.width, out.height, out.channels], [24, 24, 3]);
      assert.equal(key(t(input, new Rng(2))), key(outs[1]), `${domain} ${recipe}`);
      assert.ok(new Set(outs.map(key)).size > 1, `${domain} ${recipe} ignores the rng`);
    }
  }
  assert.equal(trainTransform("none", 32), undefined);
  assert.throws(() => trainTransform("fancy" as Recipe, 32), /unknown augmentation recipe 'fancy'/);
  assert.throws(() => trainTransform("basic", 0), RangeError);
});

Deno.test("trainTransform wafer basic applies only the 8 lossless flips and quarter turns", () => {
  const img = waferImage(3, 11, DEFAULT_WAFER_OPTIONS); // an Edge-Loc map: not symmetric
  const t = trainTransform("basic", img.width, { domain: "wafer" })!;
  const variants = new Set<string>();
  for (const base of [img, hflip(img)]) {
    for (const turn of [0, 90, 180, 270]) variants.add(key(turn ? rotate(base, turn) : base));
  }
  assert.equal(variants.size, 8);
  const seen = new Set<string>();
  for (let seed = 0; seed < 200; seed++) {
    const out = key(t(img, new Rng(seed)));
    assert.ok(variants.has(out), `seed ${seed} gave a non-symmetry`);
    seen.add(out);
  }
  assert.equal(seen.size, 8);
  assert.ok(variants.has(key(vflip(img))));
});

Deno.test("trainTransform wafer recipes keep wafer colours; photo recipes jitter colour", () => {
  // A blank wafer: pass colour inside, background outside.
  const size = 32;
  const [bg, pass] = [WAFER_COLORS[DIE_OUTSIDE], WAFER_COLORS[DIE_PASS]];
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = Math.hypot(x + 0.5 - size / 2, y + 0.5 - size / 2) < size / 2 - 1;
      data.set(inside ? pass : bg, (y * size + x) * 3);
    }
  }
  const blank = makeImage(size, size, 3, data);
  const px = (img: Image, x: number, y: number) =>
    Array.from(img.data.subarray((y * size + x) * 3, (y * size + x) * 3 + 3));
  for (const recipe of RECIPES) {
    const t = trainTransform(recipe, size, { domain: "wafer", fill: bg })!;
    for (let seed = 0; seed < 20; seed++) {
      const out = t(blank, new Rng(seed));
      assert.deepEqual(px(out, 16, 16), pass, `${recipe} seed ${seed} centre`);
      assert.deepEqual(px(out, 0, 0), bg, `${recipe} seed ${seed} corner (rotation fill)`);
    }
  }
  // The photo pretrained recipe (ColorJitter 0.4) changes a uniform image's colour.
  const gray = makeImage(32, 32, 3, new Uint8Array(32 * 32 * 3).fill(128));
  const jitter = trainTransform("pretrained", 32)!;
  const changed = [0, 1, 2, 3, 4].filter((s) =>
    px(jitter(gray, new Rng(s)), 16, 16).join() !== "128,128,128"
  );
  assert.ok(changed.length >= 4, `colour changed for seeds ${changed}`);
});
