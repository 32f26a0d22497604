import assert from "node:assert/strict";
import { compareCodePoints } from "./compare_code_points.ts";

Deno.test("compareCodePoints sorts like Python's sorted()", () => {
  const names = ["b", "B", "a", "_x", "é", "\u{1F600}", "\uFF01", "a1", "a10", "a2", ""];
  const py = new Deno.Command("/usr/bin/python3", {
    args: ["-c", "import json,sys; print(json.dumps(sorted(json.load(sys.stdin))))"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = py.stdin.getWriter();
  return (async () => {
    await writer.write(new TextEncoder().encode(JSON.stringify(names)));
    await writer.close();
    const out = await py.output();
    const expected = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.deepEqual([...names].sort(compareCodePoints), expected);
    // JS's default sort puts U+FF01 after the emoji (UTF-16 surrogates are 0xD83D < 0xFF01).
    assert.notDeepEqual([...names].sort(), expected);
  })();
});
