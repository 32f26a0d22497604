import assert from "node:assert/strict";
import { EpochProgress, formatDuration, formatRate } from "./progress.ts";

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns: 200, write: (c: string) => (chunks.push(c), true) } };
}

Deno.test("formatRate and formatDuration render human units", () => {
  const rates: [number, string][] = [[0, "-"], [NaN, "-"], [2.345, "2.3"], [1234.5, "1235"]];
  for (const [x, want] of rates) assert.equal(formatRate(x), want, String(x));
  const durations: [number, string][] = [[-1, "-"], [Infinity, "-"], [0, "0:00"], [59.6, "1:00"], [
    754,
    "12:34",
  ], [3723, "1:02:03"]];
  for (const [x, want] of durations) assert.equal(formatDuration(x), want, String(x));
});

Deno.test("EpochProgress on a TTY draws batches, img/s, loss and ETA", () => {
  const { chunks, stream } = fakeStream(true);
  let t = 0;
  const p = new EpochProgress({ epoch: 2, epochs: 5, batches: 4, stream, now: () => t });
  t = 1000;
  p.tick(32, 1.23456);
  t = 2000;
  p.tick(32, 0.9);
  p.stop(); // cli-progress redraws on a timer; stop() forces the final render, then clears
  const all = chunks.join("");
  // 2 of 4 batches in 2 s, 64 images: 32 img/s, 1 s per batch, 2 batches left
  assert.match(all, /epoch 2\/5 \[[^\]]+\] 2\/4 \| 32 img\/s \| loss 0\.9000 \| ETA 0:02/);
  assert.equal(p.imagesPerSecond, 32);
});

Deno.test("EpochProgress without a TTY writes nothing (the trainer logs one line per epoch)", () => {
  const { chunks, stream } = fakeStream(false);
  const p = new EpochProgress({ epoch: 1, epochs: 1, batches: 2, stream });
  p.tick(8, 1);
  p.tick(8, 1);
  p.stop();
  assert.equal(chunks.join(""), "");
});
