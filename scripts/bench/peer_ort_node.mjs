// Native ONNX Runtime peer of `deno task bench`: plain Node.js with onnxruntime-node (the same
// native libonnxruntime the edge's "native" engine loads), timing session.run at batch 1 on the
// tensor Pillow + torchvision made (written by peer_torch.py), so "Pillow + native ORT" is
// Python's decode/preprocess samples plus these inference samples.
//
// Usage: node scripts/bench/peer_ort_node.mjs <spec.json>
//   spec: {"ort_entry": <path of onnxruntime-node's index.js>, "threads", "budget_s", "min_n",
//          "max_n", "warmup", "jobs": [{"key", "model", "tensor", "dims"}]}
// Prints {"<key>": {"inference": [ms...], "cpu_inference": [process CPU ms...], "logits": [first
// run's logits]}} on stdout.
// ort_entry comes from Deno's resolution (node_modules/.deno/...), so no npm install is needed.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import process from "node:process";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const ort = createRequire(import.meta.url)(spec.ort_entry);

const out = {};
for (const job of spec.jobs) {
  // Same session options as edge/engine.ts createNative.
  const session = await ort.InferenceSession.create(readFileSync(job.model), {
    executionProviders: ["cpu"],
    intraOpNumThreads: spec.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  });
  const buf = readFileSync(job.tensor);
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const inName = session.inputNames[0];
  const outName = session.outputNames[0];
  const run = async () => {
    const tensor = new ort.Tensor("float32", data, job.dims);
    const result = await session.run({ [inName]: tensor }, [outName]);
    return result[outName].data;
  };
  const logits = Array.from(await run());
  for (let i = 0; i < spec.warmup; i++) await run();
  const times = [];
  const cpu = [];
  const start = performance.now();
  while (
    times.length < spec.max_n &&
    (times.length < spec.min_n || performance.now() - start < spec.budget_s * 1000)
  ) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  out[job.key] = { inference: times, cpu_inference: cpu, logits };
  await session.release();
}
process.stdout.write(JSON.stringify(out));
