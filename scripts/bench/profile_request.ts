/**
 * Where one /v1/classify request's server time goes, in process and layer by layer: decode,
 * + preprocess, engine run alone, the queue (served.infer), classifyImages, and the whole Hono
 * app (`app.fetch` with the request log written as JSON to a discarding sink). Each layer's
 * mean is the cost of everything inside it, so differences between rows are each layer's own
 * overhead. Run alone: `deno run -A scripts/bench/profile_request.ts <model.onnx> <image>
 * [native|web] [iterations]`.
 * @module
 */
import process from "node:process";
import { applyPreprocess } from "../../shared/apply_preprocess.ts";
import { decodeImage } from "../../shared/decode.ts";
import { createApp } from "../../edge/app.ts";
import { classifyImages } from "../../edge/classify_images.ts";
import { createEngine } from "../../edge/engine.ts";
import { INPUT_NAME, loadServedModel, OUTPUT_NAME } from "../../edge/served_model.ts";

/** Mean microseconds per call of each layer. */
export interface RequestProfile {
  iterations: number;
  /** layer -> mean wall-clock µs per request */
  meanUs: Record<string, number>;
  /** layer -> mean process CPU µs per request (what load from other processes distorts least) */
  cpuUs: Record<string, number>;
}

async function measure(
  n: number,
  f: () => Promise<unknown> | unknown,
): Promise<{ wall: number; cpu: number }> {
  for (let i = 0; i < Math.min(50, n); i++) await f();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await f();
  const c = process.cpuUsage(c0);
  const r1 = (v: number) => Math.round(v * 10) / 10;
  return { wall: r1(((performance.now() - t0) / n) * 1000), cpu: r1((c.user + c.system) / n) };
}

/** Profiles the layers of one request for `modelBytes` and the encoded `image`. */
export async function profileRequest(
  modelBytes: Uint8Array,
  image: Uint8Array,
  engine: "native" | "web",
  iterations: number,
): Promise<RequestProfile> {
  const served = await loadServedModel(modelBytes, {
    name: "profile",
    engine,
    threads: 1,
    maxBatch: 1,
    batchWaitMs: 0,
    queueLimit: 64,
  });
  const raw = await createEngine(engine, modelBytes, { threads: 1 });
  try {
    const img = await decodeImage(image);
    const tensor = applyPreprocess(served.meta.preprocess, img);
    const [, , h, w] = served.inputShape;
    const opts = { topK: 5, threshold: 0, maxPixels: 40_000_000, maxBytes: 1 << 26 };
    const clock = () => performance.now();
    let sink = 0;
    const app = createApp({
      model: () => served,
      limits: { maxBodyBytes: 10 << 20, maxPixels: 40_000_000, batchMaxFiles: 16 },
      // The production logger is console.log(JSON.stringify(record)); serialise, do not print.
      logger: (r) => (sink += JSON.stringify(r).length),
      clock,
    });
    const request = () =>
      new Request("http://127.0.0.1/v1/classify", {
        method: "POST",
        body: image as Uint8Array<ArrayBuffer>,
        headers: { "content-type": "application/octet-stream" },
      });
    const n = iterations;
    const layers: [string, () => Promise<unknown> | unknown][] = [
      ["decode", () => decodeImage(image)],
      [
        "decode + preprocess",
        async () => applyPreprocess(served.meta.preprocess, await decodeImage(image)),
      ],
      [
        "engine.run alone",
        () => raw.run(INPUT_NAME, OUTPUT_NAME, { data: tensor, dims: [1, 3, h, w] }),
      ],
      ["served.infer (queue + engine)", () => served.infer([tensor])],
      ["classifyImages", () => classifyImages(served, [image], opts, clock)],
      ["new Request only", () => request()],
      ["app.fetch (Hono, whole request)", async () => {
        const res = await app.fetch(request());
        if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      }],
    ];
    const meanUs: Record<string, number> = {};
    const cpuUs: Record<string, number> = {};
    for (const [name, f] of layers) {
      const m = await measure(n, f);
      meanUs[name] = m.wall;
      cpuUs[name] = m.cpu;
    }
    if (sink < 0) console.log(sink);
    return { iterations, meanUs, cpuUs };
  } finally {
    await raw.release();
    await served.release();
  }
}

if (import.meta.main) {
  const [modelPath, imagePath, engine = "native", iters = "2000"] = Deno.args;
  if (!modelPath || !imagePath) {
    console.error("usage: profile_request.ts <model.onnx> <image> [native|web] [iterations]");
    Deno.exit(2);
  }
  const p = await profileRequest(
    await Deno.readFile(modelPath),
    await Deno.readFile(imagePath),
    engine as "native" | "web",
    Number(iters),
  );
  for (const [k, v] of Object.entries(p.meanUs)) {
    console.log(`${k.padEnd(34)} wall ${v} µs, cpu ${p.cpuUs[k]} µs`);
  }
}
