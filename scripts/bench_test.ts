import assert from "node:assert/strict";
import { parseBenchArgs } from "./bench.ts";

Deno.test("parseBenchArgs reads sections and flags, quick shortens the defaults", () => {
  const cases: [string[], Partial<ReturnType<typeof parseBenchArgs>>][] = [
    [[], {
      sections: ["edge", "http", "cold", "train"],
      durationS: 10,
      reps: 5,
      budgetS: 4,
      threads: undefined,
    }],
    [["http"], { sections: ["http"], durationS: 10 }],
    [["cold", "edge", "--quick"], { sections: ["cold", "edge"], durationS: 2, reps: 2 }],
    [["--quick", "--duration", "5"], { quick: true, durationS: 5 }],
    [["edge", "--threads", "2", "--rounds", "3", "--budget", "0.5"], {
      threads: 2,
      rounds: 3,
      budgetS: 0.5,
    }],
    [["--out", "x/r.json", "--python", "/opt/py"], { out: "x/r.json", python: "/opt/py" }],
  ];
  for (const [argv, want] of cases) {
    const got = parseBenchArgs(argv);
    for (const [k, v] of Object.entries(want)) {
      assert.deepEqual(got[k as keyof typeof got], v, `${argv.join(" ")}: ${k}`);
    }
  }
});

Deno.test("parseBenchArgs names the bad flag or section", () => {
  const cases: [string[], RegExp][] = [
    [["bogus"], /unknown argument 'bogus'/],
    [["--duration"], /--duration needs a value/],
    [["--duration", "0"], /--duration must be a number >= 1/],
    [["--threads", "1.5"], /--threads must be an integer/],
    [["--budget", "x"], /--budget must be a number/],
  ];
  for (const [argv, re] of cases) assert.throws(() => parseBenchArgs(argv), re);
});
