import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Image } from "../../shared/image.ts";
import { DIE_FAIL, DIE_OUTSIDE, DIE_PASS, WAFER_CLASSES } from "./wafer_map.ts";
import { renderWaferMap, WAFER_COLORS } from "./render_wafer_map.ts";
import { waferClassCounts, waferDataset, type WaferOptions, WM811K_COUNTS } from "./wafer.ts";
import type { Sample } from "./dataset.ts";

async function digest(samples: Sample[]): Promise<string> {
  const h = createHash("sha256");
  for (const s of samples) {
    const img = await s.load();
    h.update(`${s.id}:${s.label}:${img.width}x${img.height};`);
    h.update(img.data);
  }
  return h.digest("hex");
}

const SMALL: Partial<WaferOptions> = { countPerClass: 6, valPerClass: 2, imageSize: 32 };

Deno.test("waferDataset gives the same bytes for the same seed and different bytes otherwise", async () => {
  const a = await digest(waferDataset({ ...SMALL, seed: 7 }).train);
  const b = await digest(waferDataset({ ...SMALL, seed: 7 }).train);
  const c = await digest(waferDataset({ ...SMALL, seed: 8 }).train);
  assert.equal(a, b);
  assert.notEqual(a, c);
  // Loading the same sample twice gives the same pixels (rendering keeps no state).
  const s = waferDataset({ ...SMALL, seed: 7 }).val[3];
  assert.deepEqual((await s.load()).data, (await s.load()).data);
});

Deno.test("waferDataset has every class in both splits, disjoint ids, and the asked size", async () => {
  const ds = waferDataset({ ...SMALL, imageSize: 48 });
  assert.deepEqual(ds.classes, [...WAFER_CLASSES]);
  for (const split of [ds.train, ds.val]) {
    const counts: number[] = ds.classes.map((_, k) => split.filter((s) => s.label === k).length);
    assert.ok(counts.every((n) => n > 0), `counts ${counts}`);
  }
  assert.equal(ds.train.length, 6 * 9);
  assert.equal(ds.val.length, 2 * 9);
  const ids = new Set([...ds.train, ...ds.val].map((s) => s.id));
  assert.equal(ids.size, ds.train.length + ds.val.length);
  const img = await ds.train[0].load();
  assert.deepEqual([img.width, img.height, img.channels], [48, 48, 3]);
  assert.equal(ds.domain, "wafer");
  assert.deepEqual(ds.fill, WAFER_COLORS[DIE_OUTSIDE]);
});

Deno.test("waferClassCounts wm811k preset keeps WM-811K's order of class sizes", () => {
  const counts = waferClassCounts(250, "wm811k", 3);
  const none = WAFER_CLASSES.indexOf("none");
  const nearFull = WAFER_CLASSES.indexOf("Near-full");
  const total = counts.reduce((a, b) => a + b, 0);
  assert.ok(counts[none] / total > 0.8, `none is ${counts[none]}/${total}`);
  assert.equal(Math.min(...counts), counts[nearFull]);
  assert.ok(counts.every((n) => n >= 3));
  // Larger WM-811K classes never get fewer maps than smaller ones.
  for (let i = 0; i < 9; i++) {
    for (let j = 0; j < 9; j++) {
      if (WM811K_COUNTS[i] > WM811K_COUNTS[j]) assert.ok(counts[i] >= counts[j]);
    }
  }
  assert.deepEqual(waferClassCounts(5, "balanced", 3), new Array(9).fill(5));
  assert.throws(() => waferClassCounts(5, "skewed" as "balanced", 3), /skewed/);
});

Deno.test("renderWaferMap draws each die in its viridis colour", () => {
  // 2x2 grid rendered at 4 px without supersampling blends: each die is a 2x2 block.
  const map = {
    rows: 2,
    cols: 2,
    dies: new Uint8Array([DIE_OUTSIDE, DIE_PASS, DIE_FAIL, DIE_PASS]),
  };
  const img = renderWaferMap(map, 4, 1);
  const at = (x: number, y: number) =>
    Array.from(img.data.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3));
  assert.deepEqual(at(1, 1), WAFER_COLORS[DIE_OUTSIDE]);
  assert.deepEqual(at(3, 0), WAFER_COLORS[DIE_PASS]);
  assert.deepEqual(at(0, 3), WAFER_COLORS[DIE_FAIL]);
  // With supersampling, a pixel straddling two dies is their average.
  const blended = renderWaferMap(
    { rows: 1, cols: 2, dies: new Uint8Array([DIE_PASS, DIE_FAIL]) },
    1,
    2,
  );
  assert.deepEqual(
    Array.from(blended.data),
    [0, 1, 2].map((c) => Math.round((WAFER_COLORS[DIE_PASS][c] + WAFER_COLORS[DIE_FAIL][c]) / 2)),
  );
});

/**
 * Rotation-invariant features a person would use: fail share per ring, how lopsided the fails
 * are around the centre, and their spread.
 */
function features(img: Image): number[] {
  const s = img.width;
  const rings = [0, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 1.01];
  const ringSum = new Array(rings.length - 1).fill(0);
  const ringN = new Array(rings.length - 1).fill(0);
  const sectors = [new Array(8).fill(0), new Array(8).fill(0)];
  let w = 0, mx = 0, my = 0, mxx = 0, myy = 0;
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const u = ((x + 0.5) / s) * 2 - 1, v = ((y + 0.5) / s) * 2 - 1;
      const r = Math.hypot(u, v);
      if (r >= 1.01) continue;
      const red = img.data[(y * s + x) * 3];
      const f = Math.min(1, Math.max(0, (red - 60) / 190)); // ~0 pass, ~1 fail
      const ring = rings.findIndex((edge, i) => r >= edge && r < rings[i + 1]);
      ringSum[ring] += f;
      ringN[ring]++;
      const sector = Math.min(7, Math.floor(((Math.atan2(v, u) + Math.PI) / (2 * Math.PI)) * 8));
      sectors[r > 0.7 ? 1 : 0][sector] += f;
      w += f;
      mx += f * u;
      my += f * v;
      mxx += f * u * u;
      myy += f * v * v;
    }
  }
  const lopsided = sectors.map((sec) => {
    const mean = sec.reduce((a, b) => a + b, 0) / 8;
    return mean < 1e-6 ? 0 : Math.max(...sec) / mean;
  });
  const cx = w > 0 ? mx / w : 0, cy = w > 0 ? my / w : 0;
  const spread = w > 0 ? Math.sqrt(Math.max(0, mxx / w - cx * cx + myy / w - cy * cy)) : 0;
  return [
    ...ringSum.map((t, i) => t / Math.max(1, ringN[i])),
    ...lopsided,
    Math.hypot(cx, cy),
    spread,
  ];
}

Deno.test("waferDataset classes are separable: nearest centroid on shape features beats 3x chance", async () => {
  const ds = waferDataset({ countPerClass: 40, valPerClass: 20, imageSize: 32, seed: 3 });
  const feats = (ss: Sample[]) => Promise.all(ss.map(async (s) => features(await s.load())));
  const trainX = await feats(ds.train);
  const valX = await feats(ds.val);
  const dim = trainX[0].length;
  // Standardize with train statistics so no feature dominates the distance.
  const mean = Array.from(
    { length: dim },
    (_, j) => trainX.reduce((a, f) => a + f[j], 0) / trainX.length,
  );
  const sd = Array.from(
    { length: dim },
    (_, j) => Math.sqrt(trainX.reduce((a, f) => a + (f[j] - mean[j]) ** 2, 0) / trainX.length) || 1,
  );
  const z = (f: number[]) => f.map((v, j) => (v - mean[j]) / sd[j]);
  const centroids = ds.classes.map((_, k) => {
    const rows = trainX.filter((_, i) => ds.train[i].label === k).map(z);
    return Array.from({ length: dim }, (_, j) => rows.reduce((a, f) => a + f[j], 0) / rows.length);
  });
  let correct = 0;
  valX.forEach((f, i) => {
    const zf = z(f);
    const dist = centroids.map((c) => c.reduce((a, cj, j) => a + (cj - zf[j]) ** 2, 0));
    if (dist.indexOf(Math.min(...dist)) === ds.val[i].label) correct++;
  });
  const acc = correct / valX.length;
  console.log(`nearest-centroid val accuracy ${(acc * 100).toFixed(1)}% (chance 11.1%)`);
  assert.ok(acc > 3 / 9, `accuracy ${acc}`);
});
