import assert from "node:assert/strict";
import { tfPads2d, tfSamePadding } from "./tf_same_padding.ts";

Deno.test("tfSamePadding puts the odd pixel after, like TensorFlow", () => {
  // [in, kernel, stride, dilation] -> [before, after]; worked by hand from TF's formula
  // out = ceil(in / s), total = max((out - 1) * s + (k - 1) * d + 1 - in, 0)
  const table: [number, number, number, number, [number, number]][] = [
    [8, 3, 1, 1, [1, 1]],
    [8, 3, 2, 1, [0, 1]], // out 4, total 1: the asymmetric case
    [7, 3, 2, 1, [1, 1]],
    [224, 7, 2, 1, [2, 3]],
    [8, 1, 1, 1, [0, 0]],
    [8, 2, 2, 1, [0, 0]],
    [9, 2, 2, 1, [0, 1]],
    [8, 3, 1, 2, [2, 2]],
    [5, 5, 3, 1, [1, 2]], // out 2, total 3
    [4, 5, 1, 1, [2, 2]],
  ];
  for (const [inSize, k, s, d, want] of table) {
    assert.deepEqual(tfSamePadding(inSize, k, s, d), want, `in=${inSize} k=${k} s=${s} d=${d}`);
  }
});

Deno.test("tfPads2d orders pads as ONNX [top, left, bottom, right]", () => {
  assert.deepEqual(tfPads2d("same", [8, 7], [3, 3], [2, 2]), [0, 1, 1, 1]);
  assert.deepEqual(tfPads2d("valid", [8, 7], [3, 3], [2, 2]), [0, 0, 0, 0]);
});
