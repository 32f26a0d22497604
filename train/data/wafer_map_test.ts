import assert from "node:assert/strict";
import { Rng } from "../../shared/rng.ts";
import {
  DIE_FAIL,
  DIE_OUTSIDE,
  DIE_PASS,
  generateWaferMap,
  WAFER_CLASSES,
  type WaferMap,
} from "./wafer_map.ts";

const OPTS = { gridMin: 26, gridMax: 34, noiseMax: 0.03 };

/** Fail share of the dies inside the wafer whose radius (0 centre, 1 rim) is in [lo, hi). */
function failShare(map: WaferMap, lo: number, hi: number): number {
  let fail = 0, total = 0;
  for (let r = 0; r < map.rows; r++) {
    for (let c = 0; c < map.cols; c++) {
      const x = ((c + 0.5) / map.cols) * 2 - 1;
      const y = ((r + 0.5) / map.rows) * 2 - 1;
      const rad = Math.hypot(x, y);
      const d = map.dies[r * map.cols + c];
      if (d === DIE_OUTSIDE || rad < lo || rad >= hi) continue;
      total++;
      if (d === DIE_FAIL) fail++;
    }
  }
  return total === 0 ? 0 : fail / total;
}

function maps(cls: string, n = 12): WaferMap[] {
  const k = WAFER_CLASSES.indexOf(cls as typeof WAFER_CLASSES[number]);
  return Array.from({ length: n }, (_, i) => generateWaferMap(k, new Rng(1000 + i), OPTS));
}

Deno.test("generateWaferMap marks exactly the dies outside the unit circle as outside", () => {
  for (let k = 0; k < WAFER_CLASSES.length; k++) {
    const map = generateWaferMap(k, new Rng(k), OPTS);
    assert.ok(map.cols >= OPTS.gridMin && map.cols <= OPTS.gridMax);
    for (let r = 0; r < map.rows; r++) {
      for (let c = 0; c < map.cols; c++) {
        const x = ((c + 0.5) / map.cols) * 2 - 1;
        const y = ((r + 0.5) / map.rows) * 2 - 1;
        const d = map.dies[r * map.cols + c];
        if (x * x + y * y > 1) assert.equal(d, DIE_OUTSIDE);
        else assert.ok(d === DIE_PASS || d === DIE_FAIL);
      }
    }
  }
});

// Each row: class, and a property of its typical map that names what a person would see.
const SHAPES: [string, (m: WaferMap) => boolean][] = [
  ["none", (m) => failShare(m, 0, 1.01) <= 0.08],
  ["Center", (m) => failShare(m, 0, 0.15) > 0.6 && failShare(m, 0.6, 1.01) < 0.1],
  ["Donut", (m) => failShare(m, 0, 0.15) < 0.2 && failShare(m, 0.3, 0.55) > 0.4],
  ["Edge-Loc", (m) => failShare(m, 0.85, 1.01) > 0.05 && failShare(m, 0.85, 1.01) < 0.5],
  ["Edge-Ring", (m) => failShare(m, 0.92, 1.01) > 0.6 && failShare(m, 0, 0.6) < 0.1],
  ["Loc", (m) => failShare(m, 0, 0.1) < 0.2 && failShare(m, 0.92, 1.01) < 0.1],
  ["Near-full", (m) => failShare(m, 0, 1.01) > 0.6],
  ["Random", (m) => failShare(m, 0, 1.01) > 0.1 && failShare(m, 0, 1.01) < 0.45],
  ["Scratch", (m) => failShare(m, 0, 1.01) > 0.02 && failShare(m, 0, 1.01) < 0.2],
];

for (const [cls, looksRight] of SHAPES) {
  Deno.test(`generateWaferMap draws ${cls} maps with the ${cls} shape`, () => {
    const all = maps(cls);
    const ok = all.filter(looksRight).length;
    // Noise and random geometry may spoil the odd map, never most of them.
    assert.ok(ok >= all.length - 1, `${cls}: only ${ok}/${all.length} maps look right`);
  });
}

Deno.test("generateWaferMap rejects a bad class index and grid range", () => {
  assert.throws(() => generateWaferMap(9, new Rng(0), OPTS), RangeError);
  assert.throws(() => generateWaferMap(-1, new Rng(0), OPTS), RangeError);
  assert.throws(
    () => generateWaferMap(0, new Rng(0), { ...OPTS, gridMin: 30, gridMax: 20 }),
    RangeError,
  );
});
