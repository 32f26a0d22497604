import assert from "node:assert/strict";
import { parseUnfreeze } from "./parse_unfreeze.ts";

Deno.test("parseUnfreeze reads all and last:N", () => {
  const table: [string, ReturnType<typeof parseUnfreeze>][] = [
    ["all", "all"],
    [" all ", "all"],
    ["last:1", { lastBlocks: 1 }],
    ["last:12", { lastBlocks: 12 }],
  ];
  for (const [text, want] of table) assert.deepEqual(parseUnfreeze(text), want, text);
});

Deno.test("parseUnfreeze rejects anything else, naming the field", () => {
  for (const text of ["", "head", "last:", "last:0", "last:-2", "last:1.5", "ALL", "last:99999"]) {
    assert.throws(() => parseUnfreeze(text, "--unfreeze"), (e: Error) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, /^--unfreeze: /, text);
      return true;
    });
  }
});
