import assert from "node:assert/strict";
import {
  argmaxRows,
  classificationMetrics,
  confusionMatrix,
  macroF1,
  perClassScores,
  topKAccuracy,
} from "./metrics.ts";
import { Rng } from "../shared/rng.ts";
import { runPythonJson } from "./run_python_for_test.ts";

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

Deno.test("confusionMatrix and perClassScores match a hand-computed table", () => {
  const actual = [0, 0, 0, 1, 1, 2, 2, 2, 2];
  const predicted = [0, 1, 0, 1, 1, 2, 0, 2, 1];
  const m = confusionMatrix(actual, predicted, 3);
  assert.deepEqual(m, [[2, 1, 0], [0, 2, 0], [1, 1, 2]]);
  const s = perClassScores(m, ["a", "b", "c"]);
  // class a: tp 2 of 3 predicted, 3 true; b: 2 of 4 predicted, 2 true; c: 2 of 2, 4 true
  const want = [
    { p: 2 / 3, r: 2 / 3, f1: 2 / 3, n: 3 },
    { p: 1 / 2, r: 1, f1: 2 / 3, n: 2 },
    { p: 1, r: 1 / 2, f1: 2 / 3, n: 4 },
  ];
  want.forEach((w, c) => {
    close(s[c].precision, w.p, `precision ${c}`);
    close(s[c].recall, w.r, `recall ${c}`);
    close(s[c].f1, w.f1, `f1 ${c}`);
    assert.equal(s[c].support, w.n);
  });
  close(macroF1(s), 2 / 3, "macro F1");
});

Deno.test("perClassScores counts 0/0 as 0 (a class never predicted nor present)", () => {
  const m = confusionMatrix([0, 0, 1], [0, 0, 0], 3);
  const s = perClassScores(m, ["x", "y", "z"]);
  assert.deepEqual(s.map((c) => [c.precision, c.recall, c.f1]), [
    [2 / 3, 1, 0.8],
    [0, 0, 0],
    [0, 0, 0],
  ]);
  close(macroF1(s), 0.8 / 3, "macro F1");
});

Deno.test("topKAccuracy ranks ties by lower index and counts hits within k", () => {
  // rows: [true class, scores]
  const scores = [
    [0.1, 0.5, 0.2, 0.2], // true 2: only 0.5@1 beats it (the 0.2@3 tie has a higher index) -> rank 2
    [0.3, 0.3, 0.3, 0.1], // true 1: tie with class 0 (lower index) -> rank 2
    [0.9, 0.0, 0.0, 0.1], // true 0: rank 1
    [0.4, 0.3, 0.2, 0.1], // true 3: rank 4
  ];
  const actual = [2, 1, 0, 3];
  const flat = scores.flat();
  assert.equal(topKAccuracy(flat, actual, 4, 1), 1 / 4);
  assert.equal(topKAccuracy(flat, actual, 4, 2), 3 / 4);
  assert.equal(topKAccuracy(flat, actual, 4, 3), 3 / 4);
  assert.equal(topKAccuracy(flat, actual, 4, 4), 1);
  assert.deepEqual(Array.from(argmaxRows(flat, 4)), [1, 0, 0, 0]);
});

// An independent numpy implementation (scikit-learn is not installed): confusion by bincount,
// zero_division=0 semantics, top-k by a stable descending argsort.
const NUMPY_METRICS = `
import json, sys
import numpy as np
a = json.load(sys.stdin)
k = a["k"]
s = np.array(a["scores"], dtype=np.float64).reshape(-1, k)
y = np.array(a["labels"])
pred = s.argmax(1)
cm = np.bincount(y * k + pred, minlength=k * k).reshape(k, k)
tp = np.diag(cm).astype(float)
with np.errstate(divide="ignore", invalid="ignore"):
    p = np.nan_to_num(tp / cm.sum(0))
    r = np.nan_to_num(tp / cm.sum(1))
    f = np.nan_to_num(2 * p * r / (p + r))
order = np.argsort(-s, axis=1, kind="stable")
rank = np.array([list(order[i]).index(y[i]) for i in range(len(y))])
print(json.dumps({"cm": cm.tolist(), "p": p.tolist(), "r": r.tolist(), "f1": f.tolist(),
                  "macro": float(f.mean()), "top1": float((rank < 1).mean()),
                  "top5": float((rank < 5).mean())}))
`;

Deno.test("classificationMetrics matches an independent numpy computation", async () => {
  const rng = new Rng(7);
  const k = 8, n = 300;
  const labels = Array.from({ length: n }, () => rng.int(0, k - 2)); // class 7 never true
  // noisy scores that favour the true class, quantized so ties happen
  const scores = labels.flatMap((t) =>
    Array.from({ length: k }, (_, c) => Math.round((rng.next() + (c === t ? 0.4 : 0)) * 8) / 8)
  );
  const ref = await runPythonJson(NUMPY_METRICS, { k, scores, labels }) as {
    cm: number[][];
    p: number[];
    r: number[];
    f1: number[];
    macro: number;
    top1: number;
    top5: number;
  };
  const m = classificationMetrics(scores, labels, Array.from({ length: k }, (_, i) => `c${i}`));
  assert.deepEqual(m.confusion, ref.cm);
  m.perClass.forEach((c, i) => {
    close(c.precision, ref.p[i], `precision ${i}`);
    close(c.recall, ref.r[i], `recall ${i}`);
    close(c.f1, ref.f1[i], `f1 ${i}`);
  });
  close(m.macroF1, ref.macro, "macro F1");
  close(m.top1, ref.top1, "top1");
  close(m.top5!, ref.top5, "top5");
  assert.equal(m.count, n);
  assert.ok(m.top1 > 0.2 && m.top1 < 1, "the data is neither trivial nor random");
});

Deno.test("classificationMetrics leaves top5 null with 5 classes or fewer", () => {
  const m = classificationMetrics([1, 0, 0, 1], [0, 1], ["a", "b"]);
  assert.equal(m.top5, null);
  assert.equal(m.top1, 1);
});

Deno.test("confusionMatrix rejects labels out of range, naming the position", () => {
  assert.throws(() => confusionMatrix([0, 3], [0, 0], 3), /at 1/);
});
