import assert from "node:assert/strict";
import {
  DEFAULT_CONFIG,
  defaultRunName,
  loadConfigFile,
  parseConfigObject,
  parseTrainArgs,
  resolveConfig,
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
