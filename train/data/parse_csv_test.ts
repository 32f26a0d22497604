import assert from "node:assert/strict";
import { parseCsv } from "./parse_csv.ts";

Deno.test("parseCsv reads fields and the line each record starts on", () => {
  const cases: [string, [number, string[]][]][] = [
    ["a,b\n1,2\n", [[1, ["a", "b"]], [2, ["1", "2"]]]],
    ["a,b\r\n1,2", [[1, ["a", "b"]], [2, ["1", "2"]]]],
    ["\uFEFFa\n\n\nb\n", [[1, ["a"]], [4, ["b"]]]],
    ['"x, y","say ""hi"""\n', [[1, ["x, y", 'say "hi"']]]],
    ['"two\nlines",z\nnext,1\n', [[1, ["two\nlines", "z"]], [3, ["next", "1"]]]],
    ["a,,\n", [[1, ["a", "", ""]]]],
    ['""\n', [[1, [""]]]],
  ];
  for (const [text, expected] of cases) {
    const got = parseCsv(text).map((r) => [r.line, r.fields]);
    assert.deepEqual(got, expected, JSON.stringify(text));
  }
});

Deno.test("parseCsv agrees with Python's csv module", async () => {
  const text = 'f,l\n"a,b.png",cat\n"q""uote.png",dog\nplain.png,"multi\nline"\n\nlast.png,x';
  const py = await new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      "import csv,io,json,sys; print(json.dumps([r for r in csv.reader(io.StringIO(sys.argv[1])) if r]))",
      text,
    ],
    stdout: "piped",
  }).output();
  const expected = JSON.parse(new TextDecoder().decode(py.stdout));
  assert.deepEqual(parseCsv(text).map((r) => r.fields), expected);
});

Deno.test("parseCsv names the line of malformed quoting", () => {
  assert.throws(() => parseCsv('a\nb\n"open,1\nmore', "x.csv"), /x\.csv line 3: unterminated/);
  assert.throws(() => parseCsv('a\n"q"x,1', "x.csv"), /x\.csv line 2: unexpected text/);
});
