import assert from "node:assert/strict";
import { EdgeError } from "./edge_error.ts";
import { parseThreshold, parseTopK } from "./query_params.ts";

Deno.test("parseTopK resolves defaults, 0 = all, and clamps huge values", () => {
  const table: [string | undefined, number, number][] = [
    [undefined, 9, 5],
    [undefined, 3, 3],
    ["0", 9, 9],
    ["1", 9, 1],
    ["3", 9, 3],
    [" 4 ", 9, 4],
    ["9", 9, 9],
    ["10", 9, 9],
    ["1e9", 9, 9],
    ["1000000000", 9, 9],
    ["99999999999999999999999", 9, 9],
    ["1e999", 9, 9],
    ["2.0", 9, 2],
    ["1E1", 20, 10],
  ];
  for (const [raw, labels, want] of table) {
    assert.equal(parseTopK(raw, labels), want, `top_k=${raw} with ${labels} labels`);
  }
});

Deno.test("parseTopK refuses what is not a whole number >= 0 with invalid_parameter", () => {
  for (
    const raw of [
      "-1",
      "-0",
      "1.5",
      "NaN",
      "abc",
      "",
      " ",
      "0x10",
      "Infinity",
      "+3",
      "1e-1",
      "3a",
      "1,2",
    ]
  ) {
    assert.throws(() => parseTopK(raw, 9), (e: unknown) => {
      assert.ok(e instanceof EdgeError, `top_k=${raw}`);
      assert.equal(e.code, "invalid_parameter");
      assert.equal(e.status, 400);
      assert.match(e.message, /top_k/);
      return true;
    });
  }
});

Deno.test("parseThreshold accepts [0, 1] and refuses the rest", () => {
  const ok: [string | undefined, number][] = [
    [undefined, 0],
    ["0", 0],
    ["1", 1],
    ["0.25", 0.25],
    [".5", 0.5],
    ["5e-1", 0.5],
  ];
  for (const [raw, want] of ok) assert.equal(parseThreshold(raw), want, `threshold=${raw}`);
  for (const raw of ["-0.1", "1.01", "2", "NaN", "abc", "", "1e9", "-1"]) {
    assert.throws(() => parseThreshold(raw), (e: unknown) => {
      assert.ok(e instanceof EdgeError && e.code === "invalid_parameter", `threshold=${raw}`);
      return true;
    });
  }
});
