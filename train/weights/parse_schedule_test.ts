import assert from "node:assert/strict";
import { parseSchedule } from "./parse_schedule.ts";

Deno.test("parseSchedule reads head/finetune stages in order", () => {
  const table: [string, { name: string; epochs: number }[]][] = [
    ["head:3,finetune:10", [{ name: "head", epochs: 3 }, { name: "finetune", epochs: 10 }]],
    [" head:1 , finetune:2 ", [{ name: "head", epochs: 1 }, { name: "finetune", epochs: 2 }]],
    ["head:5", [{ name: "head", epochs: 5 }]],
    ["finetune:7", [{ name: "finetune", epochs: 7 }]],
  ];
  for (const [text, want] of table) assert.deepEqual(parseSchedule(text), want, text);
});

Deno.test("parseSchedule rejects bad schedules, naming the item", () => {
  const table: [string, RegExp][] = [
    ["", /must be 'head:E1,finetune:E2'/],
    ["head:3,", /must be 'head:E1,finetune:E2'/],
    ["head", /item 'head' must look like 'head:5'/],
    ["head:-1", /item 'head:-1'/],
    ["head:2.5", /item 'head:2.5'/],
    ["warmup:3", /unknown stage 'warmup'/],
    ["head:0", /stage 'head' epochs must be an integer in \[1, 100000\]/],
    ["head:100001", /epochs must be an integer/],
    ["head:1,head:2", /stage 'head' appears twice/],
    ["finetune:2,head:1", /stage 'head' must come before 'finetune'/],
  ];
  for (const [text, re] of table) {
    assert.throws(() => parseSchedule(text, "--schedule"), (e: Error) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, /^--schedule: /, text);
      assert.match(e.message, re, text);
      return true;
    });
  }
});
