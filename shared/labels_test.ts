import assert from "node:assert/strict";
import { labelOf, parseLabels, topKLabeled } from "./labels.ts";

Deno.test("parseLabels reads one label per line", () => {
  const cases: [string, string, string[]][] = [
    ["plain", "cat\ndog\nbird", ["cat", "dog", "bird"]],
    ["trailing newlines and CRLF", "cat\r\ndog\r\n\r\n", ["cat", "dog"]],
    ["BOM and spaces", "\uFEFF cat \n\tdog", ["cat", "dog"]],
    ["names with spaces", "great white shark\ntiger shark", ["great white shark", "tiger shark"]],
  ];
  for (const [name, text, want] of cases) assert.deepEqual(parseLabels(text), want, name);
});

Deno.test("parseLabels names the line at fault", () => {
  const cases: [string, string, RegExp][] = [
    ["empty file", "\n\n", /labels\.txt: no labels/],
    ["gap", "cat\n\ndog", /labels\.txt:2: empty label/],
    ["duplicate", "cat\ndog\ncat", /labels\.txt:3: duplicate label 'cat' \(first on line 1\)/],
  ];
  for (const [name, text, re] of cases) {
    assert.throws(() => parseLabels(text, "labels.txt"), re, name);
  }
});

Deno.test("labelOf and topKLabeled name classes and refuse mismatches", () => {
  const labels = ["cat", "dog", "bird"];
  assert.equal(labelOf(labels, 2), "bird");
  for (const i of [-1, 3, 0.5]) assert.throws(() => labelOf(labels, i), RangeError);
  assert.deepEqual(topKLabeled([0.2, 0.7, 0.1], labels, 2), [
    { index: 1, label: "dog", score: 0.7 },
    { index: 0, label: "cat", score: 0.2 },
  ]);
  assert.throws(() => topKLabeled([0.5, 0.5], labels, 1), RangeError);
});
