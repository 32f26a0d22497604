import assert from "node:assert/strict";
import process from "node:process";
import { processCpuMs } from "./http_section.ts";

Deno.test("processCpuMs reads this process's CPU time as node:process cpuUsage counts it", () => {
  const before = processCpuMs(Deno.pid);
  const usage0 = process.cpuUsage();
  let x = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 300) x += Math.sqrt(x + 1);
  const usage = process.cpuUsage(usage0);
  const after = processCpuMs(Deno.pid);
  assert.ok(before !== null && after !== null && x > 0);
  const want = (usage.user + usage.system) / 1000;
  // /proc counts in clock ticks (10 ms each): allow two ticks either way.
  assert.ok(Math.abs(after - before - want) <= 20, `${after - before} vs ${want}`);
});

Deno.test("processCpuMs is null for a process that does not exist", () => {
  assert.equal(processCpuMs(2 ** 30), null);
});
