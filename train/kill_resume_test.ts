/**
 * "Training never loses work": `deno task train` is SIGKILLed (no handler runs, unlike Ctrl-C)
 * in the middle of epoch 2 with checkpoints at epoch ends only, resumed with mid-epoch
 * checkpoints (`--checkpoint-minutes`) and killed again in epoch 3, then `--resume` finishes
 * the run. At most the epoch in progress is lost (with mid-epoch checkpoints, only the batches
 * since the last one), and the final history and weights equal an uninterrupted run's (same
 * seed, backend).
 * Also: a torn temporary file left by the kill is cleaned up, and resuming from a corrupt or
 * missing checkpoint fails with the file named (exit 1), without touching the run.
 */
import assert from "node:assert/strict";
import { runMain } from "./run_main_for_test.ts";
import { join } from "node:path";
import { readCheckpoint } from "./checkpoint.ts";
import type { EpochRecord } from "./trainer.ts";
import { runPython } from "./weights/run_python.ts";

const MAIN = new URL("./main.ts", import.meta.url).pathname;
const EPOCHS = 3;

/** 3 classes x `n` 20x20 PNGs by Pillow. */
async function makeImageFolder(dir: string, n: number) {
  const code = `
import os, random, sys
from PIL import Image, ImageDraw
root, n = sys.argv[1], int(sys.argv[2])
random.seed(2)
for cls in ["a_square", "b_disc", "c_stripes"]:
    os.makedirs(os.path.join(root, cls), exist_ok=True)
    for i in range(n):
        im = Image.new("RGB", (20, 20), tuple(random.randint(90, 160) for _ in range(3)))
        d = ImageDraw.Draw(im)
        o = random.randint(0, 5)
        if cls == "a_square": d.rectangle([o, o, o + 12, o + 12], fill=(230, 30, 30))
        elif cls == "b_disc": d.ellipse([o, o, o + 13, o + 13], fill=(30, 220, 40))
        else:
            for x in range(o % 3, 20, 4): d.line([x, 0, x, 19], fill=(20, 40, 230), width=2)
        im.save(os.path.join(root, cls, f"{i:03d}.png"))
`;
  await runPython(["-c", code, dir, String(n)]);
}

/** History without the wall-clock fields, which no two runs share. */
function reproducible(h: EpochRecord[]) {
  return h.map(({ seconds: _s, imagesPerSecond: _i, ...rest }) => rest);
}

/** Runs `deno task train args` and SIGKILLs it at the first stdout line matching `at`. */
async function runUntilKilled(args: string[], at: RegExp) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines: { at: number; text: string }[] = [];
  let buffer = "";
  let killedAt = NaN;
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    for (const text of parts) {
      lines.push({ at: performance.now(), text });
      if (Number.isNaN(killedAt) && at.test(text)) {
        child.kill("SIGKILL");
        killedAt = performance.now();
      }
    }
  }
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL", lines.map((l) => l.text).join("\n"));
  return { lines, killedAt, pid: child.pid };
}

/** Batch lines (`--log-every 1`) of 1-based `epoch` that the killed run printed. */
const batchLines = (lines: { text: string }[], epoch: number) =>
  lines.filter((l) => l.text.startsWith("batch ") && l.text.includes(` of epoch ${epoch}/`));

const readHistory = async (run: string) =>
  JSON.parse(await Deno.readTextFile(join(run, "history.json"))) as EpochRecord[];

Deno.test("SIGKILL mid-epoch loses at most that epoch; --resume reproduces the uninterrupted run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edgeclass_kill_resume_" });
  try {
    await makeImageFolder(join(dir, "data"), 24);
    const common = [
      "--data",
      `imagefolder:${join(dir, "data")}`,
      "--image-size",
      "16",
      "--batch-size",
      "4",
      "--epochs",
      String(EPOCHS),
      "--val-fraction",
      "0.25",
      "--backend",
      "wasm",
      "--log-every",
      "1",
      "--out",
      join(dir, "runs"),
    ];
    const full = await runMain([...common, "--name", "full"]);
    assert.equal(full.code, 0, full.stdout + full.stderr);
    const fullHistory = await readHistory(join(dir, "runs", "full"));
    const batches = Number(/^batch \d+\/(\d+) of epoch 1\//m.exec(full.stdout)![1]);

    // 1) checkpoints at epoch ends only: kill at the 3rd batch of epoch 2, like an OOM killer
    const cut = join(dir, "runs", "cut");
    const first = await runUntilKilled(
      [...common, "--name", "cut", "--checkpoint-minutes", "0"],
      new RegExp(`^batch 3/${batches} of epoch 2/`),
    );
    // what the dead run had reported: its last finished epoch is on disk, nothing later
    const done = first.lines.filter((l) => /^epoch \d+\//.test(l.text));
    const ckpt = await readCheckpoint<EpochRecord>(join(cut, "checkpoints", "last"));
    assert.equal(ckpt.state.epoch, done.length, "every reported epoch is in checkpoints/last");
    assert.deepEqual(reproducible(await readHistory(cut)), reproducible(ckpt.state.history));
    // normally epoch 2; epoch 3 only if this process read the output very late
    const lastEpoch = done.length;
    assert.ok(lastEpoch >= 1 && lastEpoch < EPOCHS, `killed after epoch ${lastEpoch}`);
    const lost1 = batchLines(first.lines, lastEpoch + 1).length;
    assert.ok(lost1 >= 1 && lost1 <= batches, `${lost1} batches lost`);
    console.log(
      `kill 1 (epoch-end checkpoints): lost ${lost1} of ${batches} batches of epoch ` +
        `${lastEpoch + 1}, ${((first.killedAt - done[lastEpoch - 1].at) / 1000).toFixed(2)} s ` +
        `of work`,
    );

    // a torn temporary file, as a kill during a checkpoint write leaves it (its pid is dead)
    const torn = join(cut, "checkpoints", "last", `checkpoint.bin.tmp-${first.pid}-0123abcd`);
    await Deno.writeFile(torn, new Uint8Array(1000));

    // 2) resume with mid-epoch checkpoints every ~10 ms; kill again at batch 5 of epoch 3
    const second = await runUntilKilled(
      ["--resume", cut, "--checkpoint-minutes", "0.0002"],
      new RegExp(`^batch 5/${batches} of epoch 3/`),
    );
    const text2 = second.lines.map((l) => l.text).join("\n");
    assert.match(text2, new RegExp(`^resume: .* at epoch ${lastEpoch + 1}$`, "m"));
    assert.match(text2, /removed 1 temporary file/);
    await assert.rejects(Deno.stat(torn), Deno.errors.NotFound);
    const saves = second.lines.filter((l) =>
      l.text.includes(" of epoch 3") && /^checkpoint: /.test(l.text)
    );
    const lastSaved = saves.length === 0
      ? 0
      : Number(/at batch (\d+)\//.exec(saves[saves.length - 1].text)![1]);
    const killBatch = batchLines(second.lines, 3).length;
    const mid = await readCheckpoint<EpochRecord>(join(cut, "checkpoints", "last"));
    const savedBatch = (mid.state.extra as { batch: number }).batch;
    assert.equal(mid.state.epoch, 2);
    // at least what was reported saved (the kill may fall between a save and its log line)
    assert.ok(savedBatch >= lastSaved && savedBatch <= killBatch, `${savedBatch} vs ${lastSaved}`);
    const lost2 = killBatch - savedBatch;
    const lostSeconds2 = saves.length === 0
      ? NaN
      : (second.killedAt - saves[saves.length - 1].at) / 1000;
    console.log(
      `kill 2 (--checkpoint-minutes 0.0002): lost ${lost2} of ${batches} batches of epoch 3 ` +
        `(checkpoint at batch ${savedBatch}), ${lostSeconds2.toFixed(2)} s of work`,
    );

    // 3) resume to the end: the same history and weights as the uninterrupted run
    const t0 = performance.now();
    const resumed = await runMain(["--resume", cut]);
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    const at = savedBatch > 0 ? `3, batch ${savedBatch + 1}` : "3";
    assert.match(resumed.stdout, new RegExp(`^resume: .* at epoch ${at}$`, "m"));
    console.log(`resume to the end: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const run = cut;
    const history = await readHistory(run);
    assert.equal(history.length, EPOCHS);
    assert.deepEqual(reproducible(history), reproducible(fullHistory));
    const a = await readCheckpoint(join(dir, "runs", "full", "checkpoints", "last"));
    const b = await readCheckpoint(join(run, "checkpoints", "last"));
    a.weights.forEach((w, i) => assert.deepEqual(b.weights[i].data, w.data, `weight ${i}`));

    // a corrupt checkpoint: exit 1 naming the file, the run left as it was
    const file = join(run, "checkpoints", "last", "checkpoint.bin");
    const bytes = await Deno.readFile(file);
    bytes[bytes.length - 7] ^= 0x10;
    await Deno.writeFile(file, bytes);
    const bad = await runMain(["--resume", run, "--epochs", String(EPOCHS + 1)]);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.ok(bad.stderr.includes(`checkpoint ${file} is corrupt`), bad.stderr);
    assert.deepEqual(await readHistory(run), history);

    // no checkpoint yet (killed in epoch 1): exit 1 saying so, before any work
    await Deno.remove(join(run, "checkpoints"), { recursive: true });
    const none = await runMain(["--resume", run]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /cannot resume .*checkpoint\.bin does not exist .*without --resume/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
