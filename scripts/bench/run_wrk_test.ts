import assert from "node:assert/strict";
import { parseWrkOutput, runWrk } from "./run_wrk.ts";

// A real wrk run against a server in this process: what wrk reports must agree with what the
// server saw (request count, body, statuses).
Deno.test("runWrk counts requests and non-2xx answers as the server saw them", async () => {
  const body = new Uint8Array(3000).map((_, i) => (i * 7) % 251);
  const bodyPath = await Deno.makeTempFile({ suffix: ".bin" });
  await Deno.writeFile(bodyPath, body);
  const seen = { ok: 0, bad: 0, wrongBody: 0, notPost: 0 };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const got = new Uint8Array(await req.arrayBuffer());
    if (req.method !== "POST") seen.notPost++;
    if (got.length !== body.length || got.some((b, i) => b !== body[i])) seen.wrongBody++;
    if (new URL(req.url).pathname === "/bad") {
      seen.bad++;
      return new Response("no", { status: 503 });
    }
    seen.ok++;
    return new Response("{}", { headers: { "content-type": "application/json" } });
  });
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const cases = [
      { path: "/ok", connections: 1, allBad: false },
      { path: "/ok", connections: 4, allBad: false },
      { path: "/bad", connections: 2, allBad: true },
    ];
    for (const c of cases) {
      const before = seen.ok + seen.bad;
      const r = await runWrk(`${base}${c.path}`, {
        connections: c.connections,
        durationS: 1,
        bodyPath,
      });
      const served = seen.ok + seen.bad - before;
      assert.equal(r.connections, c.connections);
      assert.ok(r.requests > 0, `${c.path}: no requests`);
      // wrk counts completed responses; the server may have answered a few still in flight.
      assert.ok(served >= r.requests && served <= r.requests + c.connections, `${c.path}`);
      assert.equal(r.non2xx, c.allBad ? r.requests : 0);
      const rate = r.requests / r.durationS; // durationS is rounded to ms
      assert.ok(Math.abs(r.reqPerS - rate) <= 0.01 * rate, `${r.reqPerS} vs ${rate}`);
      assert.ok(r.latencyMs.p50 <= r.latencyMs.p99 && r.latencyMs.p99 <= r.latencyMs.max);
    }
    assert.equal(seen.wrongBody, 0);
    assert.equal(seen.notPost, 0);
  } finally {
    await server.shutdown();
    await Deno.remove(bodyPath);
  }
});

Deno.test("runWrk refuses to load anything but this machine", async () => {
  for (const url of ["http://10.0.0.1/x", "http://example.com/", "http://192.168.1.2:8000/"]) {
    await assert.rejects(
      runWrk(url, { connections: 1, durationS: 1, bodyPath: "/dev/null" }),
      RangeError,
    );
  }
});

Deno.test("parseWrkOutput reads the Lua done() line and converts µs to ms", () => {
  const out = "Running 1s test\n  1 threads\n" +
    'WRK_JSON {"duration_us":2000000,"requests":500,"bytes":1,' +
    '"errors":{"connect":1,"read":2,"write":3,"status":4,"timeout":5},' +
    '"latency_us":{"mean":1500.5,"p50":1200,"p90":2000,"p99":9000,"max":12345}}\n';
  assert.deepEqual(parseWrkOutput(out, 8), {
    connections: 8,
    durationS: 2,
    requests: 500,
    reqPerS: 250,
    latencyMs: { mean: 1.501, p50: 1.2, p90: 2, p99: 9, max: 12.345 },
    non2xx: 4,
    socketErrors: { connect: 1, read: 2, write: 3, timeout: 5 },
  });
  assert.throws(() => parseWrkOutput("no summary", 1), /WRK_JSON/);
});
