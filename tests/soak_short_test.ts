/**
 * A short soak (scripts/soak.ts): 5 s at concurrency 8 on loopback, against `edge/main.ts` under
 * deploy permissions, with the corpus' mix of good and hostile requests. Asserts zero 5xx, zero
 * dropped connections, every answer as documented, 503 + Retry-After beyond QUEUE_LIMIT, and a
 * clean SIGTERM exit. RSS is reported, and bounded only loosely (5 s is too short for the 10%
 * rule of the full soak).
 */
import assert from "node:assert/strict";
import { runSoak } from "../scripts/soak.ts";

Deno.test("a 5 s soak at concurrency 8: no 5xx, no dropped connection, 503 + Retry-After beyond the queue", async () => {
  const engine = Deno.env.get("EDGE_ENGINE") === "native" ? "native" : "web";
  const r = await runSoak({ durationS: 5, concurrency: 8, warmupS: 1, engine });
  console.log(
    `soak short: ${r.requests} requests (${r.requests_per_s}/s), 5xx ${r.server_errors_5xx}, ` +
      `dropped ${r.dropped_connections}, RSS ${r.rss_mib.after_warmup} -> ${r.rss_mib.end} MiB ` +
      `(max ${r.rss_mib.max}), overload ${r.overload.batch_status} ` +
      `burst ${JSON.stringify(r.overload.burst_status_counts)}`,
  );
  assert.ok(r.requests > 0, "no request was sent");
  assert.equal(r.server_errors_5xx, 0, r.failures.join("\n"));
  assert.equal(r.dropped_connections, 0, r.failures.join("\n"));
  assert.equal(r.unexpected_status, 0, r.failures.join("\n"));
  assert.equal(r.overload.batch_status, 503);
  assert.equal(r.overload.batch_code, "overloaded");
  assert.ok(r.overload.batch_retry_after, "Retry-After on the overloaded answer");
  assert.deepEqual(
    Object.keys(r.overload.burst_status_counts).filter((s) => s !== "200" && s !== "503"),
    [],
    "a burst past the queue gets only 200 or 503",
  );
  assert.equal(r.overload.burst_503_without_retry_after, 0);
  assert.equal(r.healthz_after, 200);
  assert.equal(r.exit_code, 0);
  // Loose: doubling in 5 s would be a leak, not noise.
  assert.ok(r.rss_mib.end < 2 * r.rss_mib.after_warmup + 64, `RSS ${JSON.stringify(r.rss_mib)}`);
});
