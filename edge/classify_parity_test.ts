import assert from "node:assert/strict";
import { applyPreprocess } from "../shared/apply_preprocess.ts";
import { decodeImage } from "../shared/decode.ts";
import { metadataFromProps } from "../shared/model_metadata.ts";
import { createApp } from "./app.ts";
import { readOnnxInfo } from "./onnx_info.ts";
import { loadServedModel } from "./served_model.ts";
import { REAL_PHOTOS } from "./test_images_fixture.ts";
import { makeTinyModel, torchForTensor, torchProbsForImages } from "./tiny_model_fixture.ts";

const dir = await Deno.makeTempDir({ prefix: "edge_parity_" });
const tiny = await makeTinyModel(dir, "tiny", { size: 48, temperature: 1.5, seed: 3 });
const modelBytes = await Deno.readFile(tiny.onnxPath);
// Independent reference: Pillow decodes and resizes, torch runs the same weights.
const pillowTorch = await torchProbsForImages(tiny, REAL_PHOTOS);

// Same tensor path as the edge (shared/ decode + preprocess), evaluated by torch.
const meta = metadataFromProps(readOnnxInfo(modelBytes).metadataProps);
const tensors = await Promise.all(REAL_PHOTOS.map(async (p) => {
  const img = await decodeImage(await Deno.readFile(p));
  return applyPreprocess(meta.preprocess, img); // [3, H, W]
}));
const joined = new Float32Array(tensors.reduce((a, t) => a + t.length, 0));
tensors.forEach((t, i) => joined.set(t, i * t.length));
const sharedTorch = (await torchForTensor(tiny, joined, tensors.length)).probs;

const TOL = 1e-4;

function maxDiff(scores: { index: number; score: number }[], want: number[]): number {
  assert.equal(scores.length, want.length);
  return Math.max(...scores.map((p) => Math.abs(p.score - want[p.index])));
}

for (const engine of ["web", "native"] as const) {
  Deno.test(`POST /v1/classify on real photos (${engine}) matches torch within ${TOL}`, async () => {
    const model = await loadServedModel(modelBytes, {
      name: "tiny",
      engine,
      threads: 1,
      maxBatch: 1,
      batchWaitMs: 0,
      queueLimit: 8,
    });
    try {
      const app = createApp({
        model: () => model,
        limits: { maxBodyBytes: 4 << 20, maxPixels: 4_000_000, batchMaxFiles: 4 },
      });
      for (const [i, path] of REAL_PHOTOS.entries()) {
        const res = await app.request("/v1/classify?top_k=0", {
          method: "POST",
          body: await Deno.readFile(path),
          headers: { "Content-Type": "image/png" },
        });
        assert.equal(res.status, 200);
        const { predictions } = await res.json();
        const vsShared = maxDiff(predictions, sharedTorch[i]);
        const vsPillow = maxDiff(predictions, pillowTorch[i]);
        assert.ok(vsShared <= TOL, `${path}: engine vs torch on the same tensor: ${vsShared}`);
        assert.ok(vsPillow <= TOL, `${path}: full pipeline vs Pillow+torch: ${vsPillow}`);
      }
    } finally {
      await model.release();
    }
  });
}

Deno.test("the parity reference is not trivial: photos get different answers", () => {
  const spread = (p: number[]) => Math.max(...p) - Math.min(...p);
  for (const p of pillowTorch) assert.ok(spread(p) > 0.05, `near-uniform reference ${p}`);
  assert.notDeepEqual(pillowTorch[0], pillowTorch[1]);
});

Deno.test("cleanup", async () => {
  await Deno.remove(dir, { recursive: true });
});
