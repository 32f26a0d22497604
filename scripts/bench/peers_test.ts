import assert from "node:assert/strict";
import { applyPreprocess } from "../../shared/apply_preprocess.ts";
import { decodeImage } from "../../shared/decode.ts";
import {
  defaultPreprocessConfig,
  IMAGENET_MEAN,
  IMAGENET_STD,
  type PreprocessConfig,
} from "../../shared/preprocess_config.ts";
import { Rng } from "../../shared/rng.ts";
import { createEngine } from "../../edge/engine.ts";
import { makeTinyModel, torchForTensor } from "../../edge/tiny_model_fixture.ts";
import { runJsonProcess } from "./run_json_process.ts";

const HERE = new URL(".", import.meta.url).pathname;
const PYTHON = "/usr/bin/python3";

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function readF32(path: string): Promise<Float32Array> {
  const b = await Deno.readFile(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

// The native-ORT peer must run the same model on the same input: its logits are checked
// against PyTorch (the model's source) and against the edge's own native engine.
Deno.test("peer_ort_node.mjs returns the logits PyTorch and the edge engine give", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = await makeTinyModel(dir, "tiny", { size: 16, seed: 3 });
    const rng = new Rng(5);
    const tensor = Float32Array.from({ length: 3 * 16 * 16 }, () => rng.normal());
    const tensorPath = `${dir}/x.f32`;
    await Deno.writeFile(tensorPath, new Uint8Array(tensor.buffer));
    const out = await runJsonProcess<
      Record<string, { inference: number[]; cpu_inference: number[]; logits: number[] }>
    >(
      "node",
      [`${HERE}peer_ort_node.mjs`],
      {
        ort_entry: new URL(import.meta.resolve("onnxruntime-node")).pathname,
        threads: 1,
        budget_s: 0,
        min_n: 3,
        max_n: 3,
        warmup: 1,
        jobs: [{ key: "tiny", model: model.onnxPath, tensor: tensorPath, dims: [1, 3, 16, 16] }],
      },
    );
    assert.equal(out.tiny.inference.length, 3);
    assert.ok(out.tiny.inference.every((ms) => ms > 0));
    assert.equal(out.tiny.cpu_inference.length, 3);
    assert.ok(out.tiny.cpu_inference.every((ms) => ms >= 0));
    const torch = await torchForTensor(model, tensor, 1);
    assert.ok(maxAbsDiff(out.tiny.logits, torch.logits[0]) < 1e-4);
    const engine = await createEngine("native", await Deno.readFile(model.onnxPath), {
      threads: 1,
    });
    try {
      const ours = await engine.run("pixel_values", "logits", {
        data: tensor,
        dims: [1, 3, 16, 16],
      });
      assert.ok(maxAbsDiff(out.tiny.logits, ours.data) < 1e-6);
    } finally {
      await engine.release();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// The PyTorch peer must do the same preprocessing work as ours: its torchvision transform, built
// from the PreprocessConfig, must give the tensor shared/applyPreprocess gives (Pillow-exact).
Deno.test("peer_torch.py edge builds the torchvision transform of each PreprocessConfig", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const photos = await new Deno.Command(PYTHON, {
      args: [`${HERE}peer_torch.py`, "photos", dir],
    }).output();
    assert.ok(photos.success, new TextDecoder().decode(photos.stderr));
    const png = await Deno.readFile(`${dir}/photo.png`);
    const img = await decodeImage(png);
    assert.deepEqual([img.width, img.height], [640, 427]);
    const cases: [string, "simple_cnn" | "resnet18", number, PreprocessConfig][] = [
      ["exact 32", "simple_cnn", 32, defaultPreprocessConfig(32)],
      [
        "shorter 256 + crop 224",
        "resnet18",
        224,
        defaultPreprocessConfig(224, {
          resize: { mode: "shorter_side", size: 256, filter: "bilinear" },
          crop: { width: 224, height: 224 },
          mean: IMAGENET_MEAN,
          std: IMAGENET_STD,
        }),
      ],
    ];
    const out = await runJsonProcess<Record<string, Record<string, number[]>>>(
      PYTHON,
      [`${HERE}peer_torch.py`, "edge"],
      {
        threads: 1,
        budget_s: 0,
        min_n: 2,
        max_n: 2,
        warmup: 0,
        jobs: cases.map(([key, arch, size, preprocess]) => ({
          key,
          arch,
          size,
          num_classes: 4,
          preprocess,
          image: `${dir}/photo.png`,
          tensor_out: `${dir}/${size}.f32`,
        })),
      },
    );
    for (const [key, , size, preprocess] of cases) {
      assert.deepEqual(Object.keys(out[key]).sort(), [
        "cpu_decode",
        "cpu_preprocess",
        "cpu_total",
        "decode",
        "inference",
        "preprocess",
        "total",
      ]);
      for (const samples of Object.values(out[key])) {
        assert.equal(samples.length, 2);
        assert.ok(samples.every((ms) => ms >= 0));
      }
      // CPU time of the whole step covers its stages'.
      out[key].cpu_total.forEach((ms, i) =>
        assert.ok(ms + 1e-6 >= out[key].cpu_decode[i] + out[key].cpu_preprocess[i])
      );
      const pillow = await readF32(`${dir}/${size}.f32`);
      const ours = applyPreprocess(preprocess, img);
      assert.equal(pillow.length, 3 * size * size);
      // One 8-bit level is 1/255/std ~ 0.017 after normalisation; Pillow-exact means far less.
      assert.ok(maxAbsDiff(ours, pillow) < 1e-5, `${key}: ${maxAbsDiff(ours, pillow)}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
