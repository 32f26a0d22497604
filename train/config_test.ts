import assert from "node:assert/strict";
import {
  DEFAULT_CONFIG,
  defaultRunName,
  loadConfigFile,
  parseConfigObject,
  parseTrainArgs,
  resolveConfig,
  type TrainConfig,
} from "./config.ts";

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "edgeclass_config_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("resolveConfig layers defaults < config file < flags", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/c.json`;
    await Deno.writeTextFile(file, JSON.stringify({ epochs: 3, lr: 0.01, arch: "resnet18" }));
    const { config } = await resolveConfig(["--config", file, "--lr", "0.5", "--freeze-backbone"]);
    assert.equal(config.epochs, 3); // file over default
    assert.equal(config.lr, 0.5); // flag over file
    assert.equal(config.arch, "resnet18"); // file only
    assert.equal(config.freezeBackbone, true); // flag only
    assert.equal(config.batchSize, DEFAULT_CONFIG.batchSize); // default
    assert.match(config.name!, /^\d{8}-\d{6}_resnet18$/); // auto name uses the resolved arch
  });
});

Deno.test("resolveConfig with no arguments is exactly the defaults plus a generated name", async () => {
  const now = new Date(2025, 0, 31, 14, 25, 1);
  const { config, resume } = await resolveConfig([], now);
  assert.deepEqual(config, { ...DEFAULT_CONFIG, name: "20250131-142501_simple_cnn" });
  assert.equal(resume, null);
  assert.equal(defaultRunName("resnet18", now), "20250131-142501_resnet18");
});

Deno.test("parseTrainArgs converts every flag to its typed field", () => {
  const { flags } = parseTrainArgs([
    "--data=imagefolder:/x",
    "--arch",
    "efficientnet_b0",
    "--image-size",
    "64",
    "--epochs",
    "2",
    "--batch-size",
    "16",
    "--lr",
    "3e-4",
    "--weight-decay",
    "0.05",
    "--label-smoothing",
    "0.1",
    "--warmup-epochs",
    "1",
    "--clip-grad",
    "1.5",
    "--patience",
    "4",
    "--augment",
    "strong",
    "--backend",
    "wasm",
    "--seed",
    "7",
    "--out",
    "/tmp/r",
    "--name",
    "exp_1",
    "--on-bad-image",
    "fail",
    "--val-fraction",
    "0.25",
    "--workers",
    "3",
  ]);
  assert.deepEqual(flags, {
    data: "imagefolder:/x",
    arch: "efficientnet_b0",
    imageSize: 64,
    epochs: 2,
    batchSize: 16,
    lr: 3e-4,
    weightDecay: 0.05,
    labelSmoothing: 0.1,
    warmupEpochs: 1,
    clipGrad: 1.5,
    patience: 4,
    augment: "strong",
    backend: "wasm",
    seed: 7,
    out: "/tmp/r",
    name: "exp_1",
    onBadImage: "fail",
    valFraction: 0.25,
    prefetch: 3,
  });
});

Deno.test("parseTrainArgs errors name the flag at fault", () => {
  const cases: [string[], RegExp][] = [
    [["--epoch", "3"], /--epoch\b/],
    [["--epochs", "three"], /--epochs.*integer/],
    [["--epochs", "0"], /--epochs/],
    [["--epochs"], /--epochs/],
    [["--lr", "-1"], /--lr/],
    [["--lr=-1"], /--lr.*positive/],
    [["--arch", "vgg"], /--arch.*simple_cnn/],
    [["--label-smoothing", "1"], /--label-smoothing/],
    [["--name", "../evil"], /--name/],
    [["--workers", "2", "--prefetch", "2"], /--workers.*--prefetch/],
    [["stray"], /stray/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseTrainArgs(argv), re, argv.join(" "));
  }
});

Deno.test("parseConfigObject rejects unknown keys and bad values, naming them", () => {
  assert.throws(
    () => parseConfigObject({ epochs: 2, lerning_rate: 1 }, "cfg.json"),
    /cfg\.json.*'lerning_rate'/,
  );
  assert.throws(() => parseConfigObject({ epochs: "2" }, "cfg.json"), /cfg\.json: key 'epochs'/);
  assert.throws(() => parseConfigObject([1], "cfg.json"), /cfg\.json: must be a JSON object/);
  assert.deepEqual(parseConfigObject({ name: null, clipGrad: 0 }, "x"), {
    name: null,
    clipGrad: 0,
  });
});

Deno.test("loadConfigFile names the file for missing files and bad JSON", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(loadConfigFile(`${dir}/nope.json`), /nope\.json: cannot read/);
    await Deno.writeTextFile(`${dir}/bad.json`, "{ epochs: 1 }");
    await assert.rejects(loadConfigFile(`${dir}/bad.json`), /bad\.json: invalid JSON/);
    await Deno.writeTextFile(`${dir}/unk.json`, '{"epochs": 1, "colour": "red"}');
    await assert.rejects(loadConfigFile(`${dir}/unk.json`), /unk\.json: unknown key 'colour'/);
  });
});

Deno.test("resolveConfig --resume uses the saved config and allows only some overrides", async () => {
  await withTempDir(async (dir) => {
    const saved = { ...DEFAULT_CONFIG, name: "old", epochs: 5, lr: 0.02 };
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(saved));
    const r = await resolveConfig(["--resume", dir, "--epochs", "9"]);
    assert.equal(r.resume, dir);
    assert.deepEqual(r.config, { ...saved, epochs: 9 });
    await assert.rejects(resolveConfig(["--resume", dir, "--lr", "1"]), /--lr cannot change/);
    await assert.rejects(resolveConfig(["--resume", `${dir}/none`]), /none\/config\.json/);
  });
});

Deno.test("a saved resolved config is itself a valid --config file", async () => {
  await withTempDir(async (dir) => {
    const { config } = await resolveConfig(["--epochs", "4", "--name", "n1"]);
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(config));
    const again = await resolveConfig(["--config", `${dir}/config.json`]);
    assert.deepEqual(again.config, config);
  });
});

Deno.test("parseTrainArgs reads the transfer-learning flags and names the one at fault", () => {
  const { flags } = parseTrainArgs([
    "--weights",
    "https://example.org/r18.safetensors",
    "--weights-sha256",
    "F76B01AB",
    "--schedule",
    "head:2,finetune:3",
    "--unfreeze",
    "last:2",
    "--backbone-lr-mult",
    "0.1",
    "--log-every",
    "5",
    "--checkpoint-minutes",
    "2.5",
  ]);
  assert.deepEqual(flags, {
    weights: "https://example.org/r18.safetensors",
    weightsSha256: "f76b01ab",
    schedule: "head:2,finetune:3",
    unfreeze: "last:2",
    backboneLrMult: 0.1,
    logEvery: 5,
    checkpointMinutes: 2.5,
  });
  const cases: [string[], RegExp][] = [
    [["--weights-sha256", "xyz"], /--weights-sha256 .*8 to 64 hex digits/],
    [["--schedule", "head:2,tail:1"], /--schedule unknown stage 'tail'/],
    [["--schedule", "finetune:1,head:1"], /--schedule stage 'head' must come before/],
    [["--schedule", "head:0"], /--schedule stage 'head' epochs/],
    [["--unfreeze", "first:2"], /--unfreeze '.*' must be 'all' or 'last:N'/],
    [["--backbone-lr-mult", "0"], /--backbone-lr-mult must be a number in \(0, 1000\]/],
    [["--log-every", "-1"], /--log-every/],
    [["--checkpoint-minutes", "soon"], /--checkpoint-minutes must be a number/],
    [["--weights", ""], /--weights must be a non-empty string/],
  ];
  for (const [argv, re] of cases) assert.throws(() => parseTrainArgs(argv), re, argv.join(" "));
});

Deno.test("resolveConfig: --weights defaults to the pretrained recipe, --schedule sets the epochs", async () => {
  const table: [string[], Partial<TrainConfig>][] = [
    [["--arch", "resnet18", "--weights", "w.safetensors"], { augment: "pretrained", epochs: 8 }],
    // an explicit recipe wins
    [
      ["--arch", "resnet18", "--weights", "w.safetensors", "--augment", "strong"],
      { augment: "strong" },
    ],
    [["--schedule", "head:1,finetune:2"], { augment: "basic", epochs: 3 }],
    [["--schedule", "head:1,finetune:2", "--epochs", "3"], { epochs: 3 }],
  ];
  for (const [argv, want] of table) {
    const { config } = await resolveConfig(argv);
    for (const [k, v] of Object.entries(want)) {
      assert.equal(config[k as keyof TrainConfig], v, `${argv.join(" ")}: ${k}`);
    }
  }
  await withTempDir(async (dir) => {
    // the same default applies to a config file that does not name the recipe
    await Deno.writeTextFile(
      `${dir}/c.json`,
      JSON.stringify({ arch: "efficientnet_b0", weights: "x.safetensors" }),
    );
    const { config } = await resolveConfig(["--config", `${dir}/c.json`]);
    assert.equal(config.augment, "pretrained");
  });
});

Deno.test("resolveConfig refuses inconsistent transfer-learning flags, naming them", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["--weights", "w.safetensors"],
      /--weights needs --arch resnet18 or efficientnet_b0.*simple_cnn/,
    ],
    [["--weights-sha256", "0123456789"], /--weights-sha256 needs --weights/],
    [["--schedule", "head:1,finetune:1", "--epochs", "5"], /--epochs 5 disagrees with --schedule/],
    [["--schedule", "head:1", "--freeze-backbone"], /--freeze-backbone cannot be used with/],
    [["--unfreeze", "last:2", "--freeze-backbone"], /--unfreeze last:2 contradicts/],
  ];
  for (const [argv, re] of cases) await assert.rejects(resolveConfig(argv), re, argv.join(" "));
});

Deno.test("resolveConfig --resume: old configs without the new keys resume; a schedule fixes --epochs", async () => {
  await withTempDir(async (dir) => {
    const old: Record<string, unknown> = { ...DEFAULT_CONFIG, name: "old" };
    for (
      const k of [
        "weights",
        "weightsSha256",
        "schedule",
        "unfreeze",
        "backboneLrMult",
        "logEvery",
        "checkpointMinutes",
      ]
    ) {
      delete old[k];
    }
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(old));
    const r = await resolveConfig(["--resume", dir, "--log-every", "3"]);
    assert.deepEqual(r.config, { ...DEFAULT_CONFIG, name: "old", logEvery: 3 });

    const scheduled = { ...DEFAULT_CONFIG, name: "s", schedule: "head:1,finetune:2", epochs: 3 };
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(scheduled));
    assert.equal((await resolveConfig(["--resume", dir])).config.epochs, 3);
    await assert.rejects(resolveConfig(["--resume", dir, "--epochs", "4"]), /disagrees with/);
    await assert.rejects(
      resolveConfig(["--resume", dir, "--unfreeze", "all"]),
      /--unfreeze cannot change/,
    );
  });
});
