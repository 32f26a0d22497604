import type { Rng } from "../../shared/rng.ts";

/** The nine WM-811K failure-pattern classes, in the order WM-811K papers list them. */
export const WAFER_CLASSES = [
  "none",
  "Center",
  "Donut",
  "Edge-Loc",
  "Edge-Ring",
  "Loc",
  "Near-full",
  "Random",
  "Scratch",
] as const;

/** One of `WAFER_CLASSES`. */
export type WaferClass = typeof WAFER_CLASSES[number];

/** Die states, as WM-811K stores them. */
export const DIE_OUTSIDE = 0;
export const DIE_PASS = 1;
export const DIE_FAIL = 2;

/** A die grid: `dies[row * cols + col]` is `DIE_OUTSIDE`, `DIE_PASS` or `DIE_FAIL`. */
export interface WaferMap {
  rows: number;
  cols: number;
  dies: Uint8Array; // [rows, cols]
}

/** Knobs for `generateWaferMap`. */
export interface WaferMapOptions {
  /** Die columns are drawn from [gridMin, gridMax]; rows differ by up to 15% (non-square dies). */
  gridMin: number;
  gridMax: number;
  /** Every map gets scattered fail dies with a probability drawn from [0, noiseMax]. */
  noiseMax: number;
}

/** Fail probability at wafer coordinates (x, y) in the unit disc (y down). */
type Pattern = (x: number, y: number) => number;

const TAU = 2 * Math.PI;

/** Smallest absolute angle between two directions, in [0, pi]. */
function angleGap(a: number, b: number): number {
  const d = (((a - b) % TAU) + TAU) % TAU;
  return d > Math.PI ? TAU - d : d;
}

/** A radius that wobbles with the angle, so blobs and rings are not perfect circles. */
function wobble(rng: Rng, amount: number): (theta: number) => number {
  const a2 = rng.uniform(-amount, amount);
  const a3 = rng.uniform(-amount, amount) * 0.6;
  const p2 = rng.uniform(0, TAU);
  const p3 = rng.uniform(0, TAU);
  return (t) => 1 + a2 * Math.cos(2 * t + p2) + a3 * Math.cos(3 * t + p3);
}

/**
 * Builds the fail-probability field of one class. Parameter ranges are chosen so that classes
 * do not overlap (a person can tell them apart), while position, size, rotation and density vary
 * enough that a model has to learn shapes, not count yellow pixels.
 */
function patternFor(cls: number, rng: Rng, dieSize: number): Pattern {
  const density = rng.uniform(0.8, 1);
  switch (WAFER_CLASSES[cls]) {
    case "none":
      return () => 0;
    case "Center": {
      // One blob on the wafer centre (offset < 0.12 radius).
      const off = rng.uniform(0, 0.12);
      const dir = rng.uniform(0, TAU);
      const cx = off * Math.cos(dir);
      const cy = off * Math.sin(dir);
      const radius = rng.uniform(0.2, 0.4);
      const w = wobble(rng, 0.12);
      return (x, y) => {
        const dx = x - cx, dy = y - cy;
        return Math.hypot(dx, dy) < radius * w(Math.atan2(dy, dx)) ? density : 0;
      };
    }
    case "Donut": {
      // A ring around the centre with a passing core; may have a short gap.
      const off = rng.uniform(0, 0.08);
      const dir = rng.uniform(0, TAU);
      const cx = off * Math.cos(dir);
      const cy = off * Math.sin(dir);
      const inner = rng.uniform(0.25, 0.42);
      const width = Math.max(rng.uniform(0.14, 0.28), 2.5 * dieSize);
      const gapAt = rng.uniform(0, TAU);
      const gap = rng.next() < 0.4 ? rng.uniform(0.2, 0.9) : 0; // radians
      const w = wobble(rng, 0.08);
      return (x, y) => {
        const dx = x - cx, dy = y - cy;
        const t = Math.atan2(dy, dx);
        const r = Math.hypot(dx, dy) / w(t);
        if (r < inner || r > inner + width) return 0;
        return angleGap(t, gapAt) < gap / 2 ? 0 : density;
      };
    }
    case "Edge-Loc": {
      // A band on the rim covering 35-110 degrees, thickest in its middle.
      const at = rng.uniform(0, TAU);
      const half = (rng.uniform(35, 110) * Math.PI) / 360;
      const depth = Math.max(rng.uniform(0.2, 0.4), 3 * dieSize);
      return (x, y) => {
        const g = angleGap(Math.atan2(y, x), at) / half;
        if (g >= 1) return 0;
        const d = depth * Math.sqrt(1 - g * g);
        return Math.hypot(x, y) > 1 - d ? density : 0;
      };
    }
    case "Edge-Ring": {
      // A thin band along the rim covering 300-360 degrees.
      const gapAt = rng.uniform(0, TAU);
      const gap = rng.next() < 0.5 ? (rng.uniform(0, 60) * Math.PI) / 180 : 0;
      const depth = Math.max(rng.uniform(0.08, 0.2), 1.6 * dieSize);
      return (x, y) => {
        if (angleGap(Math.atan2(y, x), gapAt) < gap / 2) return 0;
        return Math.hypot(x, y) > 1 - depth ? density : 0;
      };
    }
    case "Loc": {
      // An elliptical blob away from both the centre and the rim.
      const radius = Math.max(rng.uniform(0.13, 0.24), 2 * dieSize);
      const dist = rng.uniform(0.36, 0.88 - radius);
      const dir = rng.uniform(0, TAU);
      const cx = dist * Math.cos(dir);
      const cy = dist * Math.sin(dir);
      const squash = rng.uniform(0.6, 1);
      const tilt = rng.uniform(0, Math.PI);
      const c = Math.cos(tilt), s = Math.sin(tilt);
      return (x, y) => {
        const dx = x - cx, dy = y - cy;
        const u = dx * c + dy * s;
        const v = (-dx * s + dy * c) / squash;
        return Math.hypot(u, v) < radius ? density : 0;
      };
    }
    case "Near-full": {
      // Almost every die fails; a few passing patches remain.
      const d = rng.uniform(0.7, 0.95);
      return () => d;
    }
    case "Random": {
      // Uniformly scattered fails, far denser than the background noise of other classes.
      const d = rng.uniform(0.15, 0.35);
      return () => d;
    }
    case "Scratch": {
      // A thin curved line: an arc of random length, curvature and orientation.
      const startR = rng.uniform(0, 0.5);
      const startA = rng.uniform(0, TAU);
      const heading0 = rng.uniform(0, TAU);
      const length = rng.uniform(0.8, 1.6);
      const curvature = rng.uniform(-1.5, 1.5); // radians of turn per unit length
      const halfWidth = dieSize * rng.uniform(0.55, 0.9);
      const points: [number, number][] = [];
      const step = dieSize / 3;
      let px = startR * Math.cos(startA) - (length / 2) * Math.cos(heading0);
      let py = startR * Math.sin(startA) - (length / 2) * Math.sin(heading0);
      let heading = heading0;
      for (let travelled = 0; travelled <= length; travelled += step) {
        points.push([px, py]);
        px += step * Math.cos(heading);
        py += step * Math.sin(heading);
        heading += curvature * step;
      }
      return (x, y) => {
        for (const [qx, qy] of points) {
          if (Math.abs(x - qx) < halfWidth && Math.abs(y - qy) < halfWidth) {
            if (Math.hypot(x - qx, y - qy) < halfWidth) return density;
          }
        }
        return 0;
      };
    }
  }
  throw new RangeError(`wafer class index ${cls} is not in 0..${WAFER_CLASSES.length - 1}`);
}

/**
 * Draws one wafer map of class `cls` (an index into `WAFER_CLASSES`). Everything random comes
 * from `rng`, so the same generator state always gives the same map.
 */
export function generateWaferMap(cls: number, rng: Rng, opts: WaferMapOptions): WaferMap {
  if (!Number.isInteger(cls) || cls < 0 || cls >= WAFER_CLASSES.length) {
    throw new RangeError(`wafer class index ${cls} is not in 0..${WAFER_CLASSES.length - 1}`);
  }
  if (!(opts.gridMin >= 4 && opts.gridMax >= opts.gridMin)) {
    throw new RangeError(`wafer grid range ${opts.gridMin}..${opts.gridMax} is invalid`);
  }
  const cols = rng.int(opts.gridMin, opts.gridMax);
  const rows = Math.max(4, Math.round(cols * rng.uniform(0.87, 1.15)));
  const noise = rng.uniform(0, opts.noiseMax);
  const dieSize = 2 / Math.max(rows, cols);
  const pattern = patternFor(cls, rng, dieSize);
  const dies = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const y = ((r + 0.5) / rows) * 2 - 1;
    for (let c = 0; c < cols; c++) {
      const x = ((c + 0.5) / cols) * 2 - 1;
      if (x * x + y * y > 1) continue; // DIE_OUTSIDE
      // Always draw, so a die's random number does not depend on the pattern's shape.
      const u = rng.next();
      dies[r * cols + c] = u < Math.max(noise, pattern(x, y)) ? DIE_FAIL : DIE_PASS;
    }
  }
  return { rows, cols, dies };
}
