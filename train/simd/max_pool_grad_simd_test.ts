import { tf } from "../backend.ts";
import {
  assertClose,
  randomValues,
  runOn,
  type Shape4,
  type Side,
  sizeOf,
} from "./backend_pair_test_support.ts";

interface PoolCase {
  name: string;
  x: Shape4; // [N, H, W, C]
  size: number | [number, number];
  strides: number | [number, number];
  pad: "same" | "valid" | number;
  /** Round inputs to this step so windows hold ties (as after ReLU, where many are 0). */
  quantum?: number;
}

const cases: PoolCase[] = [
  { name: "2x2 s2 valid, C 32", x: [2, 8, 8, 32], size: 2, strides: 2, pad: "valid" },
  { name: "2x2 s2 valid, odd H/W, C 13", x: [2, 7, 9, 13], size: 2, strides: 2, pad: "valid" },
  { name: "3x3 s2 same (overlapping)", x: [2, 9, 9, 8], size: 3, strides: 2, pad: "same" },
  { name: "3x3 s1 same, C 3", x: [1, 6, 6, 3], size: 3, strides: 1, pad: "same" },
  { name: "3x3 s2 pad 1 (ResNet maxpool)", x: [2, 8, 8, 16], size: 3, strides: 2, pad: 1 },
  { name: "2x3 s(1,2) valid", x: [1, 6, 7, 6], size: [2, 3], strides: [1, 2], pad: "valid" },
  // Ties: the first maximum in window order must win, as on the cpu backend.
  { name: "2x2 s2 ties", x: [2, 8, 8, 12], size: 2, strides: 2, pad: "valid", quantum: 1 },
  { name: "3x3 s2 same ties", x: [2, 7, 7, 5], size: 3, strides: 2, pad: "same", quantum: 2 },
];

function poolGrad(side: Side, c: PoolCase): Promise<Float32Array[]> {
  const x = randomValues(sizeOf(c.x), 11).map((v) =>
    c.quantum === undefined ? v : Math.max(0, Math.round(v * c.quantum))
  );
  const outShape = tf.backend_util.computePool2DInfo(c.x, c.size, c.strides, 1, c.pad).outShape;
  const dy = randomValues(sizeOf(outShape), 12);
  return runOn(side, () => {
    const dyT = tf.tensor(dy, outShape);
    const g = tf.grad((xt: tf.Tensor) =>
      tf.sum(tf.mul(tf.maxPool(xt as tf.Tensor4D, c.size, c.strides, c.pad), dyT))
    );
    return [g(tf.tensor(x, c.x))];
  });
}

for (const c of cases) {
  Deno.test(`maxPool gradient (wasm SIMD) matches the cpu backend: ${c.name}`, async () => {
    const [want] = await poolGrad("cpu", c);
    const [got] = await poolGrad("simd", c);
    // Overlapping windows add their shares in a different order; otherwise exact.
    assertClose(got, want, "dx", 1e-6);
  });
}
