import assert from "node:assert/strict";
import { runMain } from "./run_main_for_test.ts";
import { join } from "node:path";

const MAIN = new URL("./main.ts", import.meta.url).pathname;

/**
 * An image folder made by Pillow: 3 classes of 20x20 PNGs (red squares, green discs, blue
 * stripes, with noise), plus a file that is not an image and a truncated PNG.
 */
async function makeImageFolder(dir: string, perClass: number) {
  const code = `
import os, random, sys
from PIL import Image, ImageDraw
root, n = sys.argv[1], int(sys.argv[2])
random.seed(0)
for cls in ["red_square", "green_disc", "blue_stripes"]:
    os.makedirs(os.path.join(root, cls), exist_ok=True)
    for i in range(n):
        im = Image.new("RGB", (20, 20), tuple(random.randint(90, 160) for _ in range(3)))
        d = ImageDraw.Draw(im)
        o = random.randint(0, 5)
        if cls == "red_square": d.rectangle([o, o, o + 12, o + 12], fill=(230, 30, 30))
        elif cls == "green_disc": d.ellipse([o, o, o + 13, o + 13], fill=(30, 220, 40))
        else:
            for x in range(o % 3, 20, 4): d.line([x, 0, x, 19], fill=(20, 40, 230), width=2)
        im.save(os.path.join(root, cls, f"{i:03d}.png"))
open(os.path.join(root, "red_square", "junk.png"), "wb").write(b"this is not a png at all")
good = open(os.path.join(root, "green_disc", "000.png"), "rb").read()
open(os.path.join(root, "green_disc", "zz_truncated.png"), "wb").write(good[: len(good) // 2])
`;
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", code, dir, String(perClass)],
  })
    .output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

Deno.test("deno task train rejects an unknown flag, naming it, with exit code 2", async () => {
  const r = await runMain(["--epochs", "1", "--learning-rate", "0.1"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--learning-rate/);
});

Deno.test("deno task train rejects an unknown config file key, naming file and key", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edgeclass_main_cfg_" });
  try {
    await Deno.writeTextFile(join(dir, "c.json"), JSON.stringify({ epochs: 1, optimiser: "sgd" }));
    const r = await runMain(["--config", join(dir, "c.json")]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /c\.json: unknown key 'optimiser'/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task train --help lists every flag", async () => {
  const r = await runMain(["--help"]);
  assert.equal(r.code, 0);
  for (
    const flag of [
      "--data",
      "--arch",
      "--image-size",
      "--epochs",
      "--batch-size",
      "--lr",
      "--weight-decay",
      "--label-smoothing",
      "--warmup-epochs",
      "--clip-grad",
      "--patience",
      "--augment",
      "--freeze-backbone",
      "--backend",
      "--seed",
      "--out",
      "--name",
      "--config",
      "--resume",
      "--on-bad-image",
      "--val-fraction",
      "--workers",
      "--prefetch",
      "--weights",
      "--weights-sha256",
      "--schedule",
      "--unfreeze",
      "--backbone-lr-mult",
      "--log-every",
      "--checkpoint-minutes",
    ]
  ) assert.ok(r.stdout.includes(flag), `${flag} missing from --help`);
});

Deno.test("Ctrl-C (SIGINT) saves checkpoints/last and the reports; --resume then finishes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edgeclass_main_sigint_" });
  try {
    await makeImageFolder(join(dir, "data"), 14);
    const args = [
      "--data",
      `imagefolder:${join(dir, "data")}`,
      "--image-size",
      "16",
      "--batch-size",
      "8",
      "--epochs",
      "500",
      "--backend",
      "wasm",
      "--out",
      join(dir, "runs"),
      "--name",
      "cli",
    ];
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, ...args],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // read stdout until the first epoch line, then interrupt like a user would
    let stdout = "";
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    while (!/^epoch 1\/500/m.test(stdout)) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += value;
    }
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += value;
    }
    const status = await child.status;
    const stderr = await new Response(child.stderr).text();
    assert.equal(status.code, 130, `exit code\n${stdout}\n${stderr}`);
    assert.match(stdout, /resume with: deno task train --resume /);
    const run = join(dir, "runs", "cli");
    for (
      const f of [
        "config.json",
        "history.json",
        "curves.png",
        "confusion.png",
        "metrics.json",
        "checkpoints/last/checkpoint.bin",
        "checkpoints/best/checkpoint.bin",
        "model.onnx",
        "model.json",
      ]
    ) await Deno.stat(join(run, f)); // throws NotFound naming the file
    const history = JSON.parse(await Deno.readTextFile(join(run, "history.json")));
    assert.ok(history.length >= 1 && history.length < 500);
    const metrics = JSON.parse(await Deno.readTextFile(join(run, "metrics.json")));
    const skipped = metrics.skipped.map((s: { id: string }) => s.id).join(" ");
    assert.equal(metrics.skippedCount, 2, skipped);
    assert.match(skipped, /junk\.png/);
    assert.match(skipped, /zz_truncated\.png/);

    // finish: allow one more epoch than were completed
    const r = await runMain(["--resume", run, "--epochs", String(history.length + 1)]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^resume: /m);
    assert.match(r.stdout, /model: .*model\.onnx/);
    const after = JSON.parse(await Deno.readTextFile(join(run, "history.json")));
    assert.equal(after.length, history.length + 1);
    assert.deepEqual(after.slice(0, history.length), history);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
