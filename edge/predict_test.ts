import assert from "node:assert/strict";
import { predictionChartSpec } from "./plot_predictions.ts";
import { formatResult } from "./predict.ts";
import { makeTestImages, REAL_PHOTOS } from "./test_images_fixture.ts";
import { makeTinyModel, torchProbsForImages } from "./tiny_model_fixture.ts";

const PREDICT = new URL("./predict.ts", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "edge_predict_" });
const tiny = await makeTinyModel(dir, "tiny", { size: 32, temperature: 1.5 });
const images = await makeTestImages(dir);

async function predict(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", PREDICT, ...args],
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("formatResult prints rank, label and percentage per line", () => {
  const text = formatResult({
    file: "a.png",
    model: "m",
    predictions: [{ label: "cat", score: 0.8765, index: 2 }, {
      label: "doggo",
      score: 0.1,
      index: 0,
    }],
    timing_ms: { decode: 1, preprocess: 1, inference: 1 },
  });
  assert.equal(text, "a.png\n   1. cat     87.65%\n   2. doggo   10.00%");
  assert.equal(
    formatResult({ file: "b.png", error: { code: "corrupt_image", message: "png: bad" } }),
    "b.png: error corrupt_image: png: bad",
  );
});

Deno.test("predict prints top-K per image, with torch's probabilities", async () => {
  const { code, stdout, stderr } = await predict(
    "--model",
    tiny.onnxPath,
    "--top-k",
    "3",
    images.red,
    ...REAL_PHOTOS,
  );
  assert.equal(code, 0, stderr);
  const blocks = stdout.trim().split(/\n(?=\S)/);
  assert.equal(blocks.length, 4);
  const want = await torchProbsForImages(tiny, REAL_PHOTOS);
  const labels = ["red", "green", "blue", "dark", "light"];
  for (const [i, block] of blocks.entries()) {
    const [file, ...lines] = block.split("\n");
    assert.equal(file, [images.red, ...REAL_PHOTOS][i]);
    assert.equal(lines.length, 3);
    if (i === 0) assert.match(lines[0], /^ {3}1\. red\s+\d+\.\d\d%$/);
    if (i === 0) continue;
    for (const line of lines) {
      const [, label, pct] = /^\s+\d\. (\w+)\s+([\d.]+)%$/.exec(line)!;
      const p = want[i - 1][labels.indexOf(label)];
      assert.ok(
        Math.abs(Number(pct) - 100 * p) <= 0.0051,
        `${file} ${label}: ${pct}% vs ${100 * p}`,
      );
    }
  }
});

Deno.test("predict --json gives probabilities within 1e-4 of torch, and names failing files", async () => {
  const { code, stdout, stderr } = await predict(
    "--model",
    tiny.onnxPath,
    "--json",
    "--top-k",
    "0",
    REAL_PHOTOS[0],
    images.text,
    `${dir}/missing.png`,
    images.truncated,
  );
  assert.equal(code, 1, "some files failed");
  const results = JSON.parse(stdout);
  const [want] = await torchProbsForImages(tiny, [REAL_PHOTOS[0]]);
  assert.equal(results[0].predictions.length, 5);
  for (const p of results[0].predictions) assert.ok(Math.abs(p.score - want[p.index]) <= 1e-4);
  assert.deepEqual(
    results.slice(1).map((r: { file: string; error: { code: string } }) => [r.file, r.error.code]),
    [
      [images.text, "unsupported_format"],
      [`${dir}/missing.png`, "unreadable"],
      [images.truncated, "corrupt_image"],
    ],
  );
  for (const f of [images.text, `${dir}/missing.png`, images.truncated]) {
    assert.ok(stderr.includes(`predict: ${f}: error `), `stderr names ${f}`);
  }
});

Deno.test("predict refuses bad usage and bad models with exit 2, naming what is wrong", async () => {
  const noLabels = await makeTinyModel(dir, "no_labels", { omit: ["edgeclass.labels"] });
  const table: [string[], RegExp][] = [
    [[images.red], /--model <model\.onnx> is required/],
    [["--model", tiny.onnxPath], /give at least one image file/],
    [["--model", tiny.onnxPath, "--top-k=-1", images.red], /--top-k: top_k must be a whole number/],
    [
      ["--model", tiny.onnxPath, "--top-k", "abc", images.red],
      /--top-k: top_k must be a whole number/,
    ],
    [["--model", tiny.onnxPath, "--engine", "cuda", images.red], /--engine must be/],
    [["--model", `${dir}/nope.onnx`, images.red], /nope\.onnx: .*No such file/],
    [
      ["--model", noLabels.onnxPath, images.red],
      /no_labels: metadata key 'edgeclass\.labels' is missing/,
    ],
    [["--model", images.red, images.red], /red\.png: not a valid ONNX file/],
    [["--bogus"], /Unknown option '--bogus'/],
  ];
  for (const [args, message] of table) {
    const { code, stderr } = await predict(...args);
    assert.equal(code, 2, args.join(" "));
    assert.match(stderr, message);
  }
});

Deno.test("predictionChartSpec puts each image in an image mark as a data URL beside its bars", () => {
  const spec = predictionChartSpec([{
    title: "a.png",
    imageUrl: "data:image/png;base64,AAAA",
    width: 224,
    height: 100,
    predictions: [{ label: "x", score: 0.9, index: 1 }, { label: "y", score: 0.1, index: 0 }],
  }]) as unknown as { vconcat: { hconcat: Record<string, unknown>[] }[] };
  const [picture, bars] = spec.vconcat[0].hconcat as {
    mark?: { type: string };
    data: { values: Record<string, unknown>[] };
    layer?: { mark: { type: string } }[];
  }[];
  assert.equal(picture.mark?.type, "image");
  assert.deepEqual(picture.data.values, [{ url: "data:image/png;base64,AAAA" }]);
  assert.deepEqual(bars.layer?.map((l) => l.mark.type), ["bar", "text"]);
  assert.deepEqual(bars.data.values.map((v) => v.label), ["x", "y"]);
});

Deno.test("predict --plot renders the images and bars to a PNG (checked with Pillow)", async () => {
  const out = `${dir}/plot.png`;
  const { code, stderr } = await predict(
    "--model",
    tiny.onnxPath,
    "--top-k",
    "3",
    "--plot",
    out,
    images.red,
    REAL_PHOTOS[1],
  );
  assert.equal(code, 0, stderr);
  const check = await new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      `import sys, json
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
px = list(im.getdata())
near = lambda c: sum(1 for p in px if all(abs(a - b) <= 6 for a, b in zip(p, c)))
print(json.dumps({"size": im.size, "red": near((230, 20, 20)), "bar": near((47, 111, 237))}))`,
      out,
    ],
  }).output();
  assert.ok(check.success, new TextDecoder().decode(check.stderr));
  const { size, red, bar } = JSON.parse(new TextDecoder().decode(check.stdout));
  assert.ok(size[0] > 800 && size[1] > 600, `size ${size}`);
  assert.ok(red > 40_000, `the red image is drawn (${red} red pixels)`);
  assert.ok(bar > 5_000, `bars are drawn (${bar} bar pixels)`);
});

Deno.test("cleanup", async () => {
  await Deno.remove(dir, { recursive: true });
});
