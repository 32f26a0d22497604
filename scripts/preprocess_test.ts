import assert from "node:assert/strict";
import {
  defaultPreprocessConfig,
  IMAGENET_MEAN,
  IMAGENET_STD,
} from "../shared/preprocess_config.ts";
import { Golden, SKIMAGE_DATA } from "./golden_preprocess.ts";
import { meanStd, parseArgs } from "./preprocess.ts";

const SCRIPT = new URL("./preprocess.ts", import.meta.url).pathname;

async function cli(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("preprocess CLI writes torchvision's tensor and prints shape, mean, std", async () => {
  const golden = await Golden.create();
  try {
    const config = defaultPreprocessConfig(96, {
      resize: { mode: "shorter_side", size: 112, filter: "bicubic" },
      crop: { width: 96, height: 80 },
      mean: IMAGENET_MEAN,
      std: IMAGENET_STD,
    });
    const cfgPath = golden.path("config.json");
    await Deno.writeTextFile(cfgPath, JSON.stringify(config));
    await golden.run([
      {
        op: "make",
        input: `${SKIMAGE_DATA}/coffee.png`,
        format: "PNG",
        out: golden.path("in.png"),
      },
      { op: "preprocess", input: golden.path("in.png"), config, out: golden.path("want.f32") },
    ]);
    const r = await cli([
      "--config",
      cfgPath,
      golden.path("in.png"),
      "--out",
      golden.path("got.f32"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const got = await Deno.readFile(golden.path("got.f32"));
    assert.deepEqual(got, await Deno.readFile(golden.path("want.f32")));
    const { mean, std } = meanStd(new Float32Array(got.buffer));
    assert.match(r.stdout, /shape \[3,80,96\] \(CHW/);
    assert.match(r.stdout, new RegExp(`mean ${mean.toFixed(6)}\\n`));
    assert.match(r.stdout, new RegExp(`std ${std.toFixed(6)}\\n`));
  } finally {
    await golden.close();
  }
});

Deno.test("preprocess CLI errors name the file and field at fault", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = `${dir}/good.json`;
    await Deno.writeTextFile(good, JSON.stringify(defaultPreprocessConfig(32)));
    const badField = `${dir}/bad_field.json`;
    await Deno.writeTextFile(
      badField,
      JSON.stringify({ ...defaultPreprocessConfig(32), layout: "NCHW" }),
    );
    const notJson = `${dir}/not.json`;
    await Deno.writeTextFile(notJson, "{ nope");
    const text = `${dir}/photo.jpg`;
    await Deno.writeTextFile(text, "not really a photo");
    const out = `${dir}/out.f32`;
    const cases: [string, string[], number, RegExp][] = [
      [
        "bad field",
        ["--config", badField, text, "--out", out],
        1,
        /bad_field\.json: field 'layout'/,
      ],
      ["not JSON", ["--config", notJson, text, "--out", out], 1, /not\.json: not valid JSON/],
      [
        "missing config",
        ["--config", `${dir}/nope.json`, text, "--out", out],
        1,
        /nope\.json: cannot read/,
      ],
      ["not an image", ["--config", good, text, "--out", out], 1, /photo\.jpg: unsupported_format/],
      [
        "missing image",
        ["--config", good, `${dir}/x.png`, "--out", out],
        1,
        /x\.png: cannot read image/,
      ],
      ["no --out", ["--config", good, text], 2, /--out is required/],
    ];
    for (const [name, args, code, re] of cases) {
      const r = await cli(args);
      assert.equal(r.code, code, `${name}: ${r.stderr}`);
      assert.match(r.stderr, re, name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseArgs accepts --flag=value and refuses unknown options", () => {
  assert.deepEqual(parseArgs(["--config=c.json", "i.png", "--out", "o.f32"]), {
    config: "c.json",
    image: "i.png",
    out: "o.f32",
  });
  for (
    const argv of [
      ["--config", "c", "i", "--out", "o", "--fast"],
      ["--config", "c", "--out", "o"],
      ["--config"],
    ]
  ) {
    assert.throws(() => parseArgs(argv), TypeError, argv.join(" "));
  }
});
