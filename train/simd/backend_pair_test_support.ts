/**
 * Test support: run the same computation on the tfjs CPU backend (the reference) and on the
 * wasm backend with the SIMD kernels registered, and compare the results.
 *
 * @module
 */
import assert from "node:assert/strict";
import { chooseBackend, tf } from "../backend.ts";
import { Rng } from "../../shared/rng.ts";
import { registerSimdKernels } from "./register_simd_kernels.ts";

const quiet = () => {};

/** A 4-D shape: [N, H, W, C] for images, [KH, KW, Cin, Cout or M] for filters. */
export type Shape4 = [number, number, number, number];

/** One convolution test case: shapes, strides and tfjs padding. */
export interface ConvCase {
  name: string;
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  pad: "same" | "valid" | [[0, 0], [number, number], [number, number], [0, 0]];
}

/** Which side of the comparison to run. */
export type Side = "cpu" | "simd";

/** Switches to `side` (the wasm backend gets the SIMD kernels). */
export async function useSide(side: Side): Promise<void> {
  await chooseBackend(side === "cpu" ? "cpu" : "wasm", quiet);
  if (side === "simd") registerSimdKernels();
}

/** Runs `fn` on `side` and returns its outputs as plain arrays. */
export async function runOn(side: Side, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await useSide(side);
  const outs = tf.tidy(fn);
  const data = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return data;
}

/** Normal(0, 1) float32 values from a seeded generator, identical on every backend. */
export function randomValues(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** Product of a shape's dimensions. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Asserts max |actual - expected| <= rtol * max |expected| (float32 sums taken in different
 * orders differ by a few ulps of the largest partial sums, not of each element).
 */
export function assertClose(
  actual: Float32Array,
  expected: Float32Array,
  what: string,
  rtol = 1e-5,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) {
      worst = d; // NaN-safe: a NaN makes worst NaN and fails below
      at = i;
    }
  }
  assert.ok(scale > 0, `${what}: reference is all zeros, the comparison would be vacuous`);
  assert.ok(
    worst <= rtol * scale,
    `${what}: max abs diff ${worst} at ${at} (got ${actual[at]}, want ${expected[at]}) > ` +
      `${rtol} * ${scale}`,
  );
}
