/**
 * WebGPU training (optional job): runs where Deno's navigator.gpu has an adapter (a GPU, or
 * Mesa's llvmpipe Vulkan driver from Debian's mesa-vulkan-drivers), is skipped with a printed
 * reason elsewhere, and must run when EDGECLASS_REQUIRE_WEBGPU=1.
 *
 * Checked against other backends' kernels: the first step's loss and gradients against the
 * plain-JS cpu backend, a whole tiny epoch through `train()` against wasm (cpu would take
 * ~90 s for that epoch; wasm takes ~3 s).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { chooseBackend } from "./backend.ts";
import { DEFAULT_CONFIG, type TrainConfig } from "./config.ts";
import {
  compareGradients,
  firstStepGradients,
  type FirstStepSpec,
} from "./first_step_gradients.ts";
import { train, type TrainOptions } from "./trainer.ts";
import { webgpuTestGate } from "./webgpu/webgpu_missing.ts";

const { ignore, requireWebgpu } = await webgpuTestGate("webgpu_train_test");

const CLASSES = 9;
const SIZE = 16;
const BATCH = 16;

Deno.test({
  name: "webgpu first-step loss and gradients of SimpleCNN match the cpu backend",
  ignore,
  async fn() {
    requireWebgpu();
    const used = await chooseBackend("webgpu", () => {});
    assert.equal(used.name, "webgpu");
    const spec: FirstStepSpec = {
      arch: "simple_cnn",
      numClasses: CLASSES,
      size: SIZE,
      batch: BATCH,
      seed: 5,
    };
    const gpu = await firstStepGradients(spec);
    await chooseBackend("cpu", () => {});
    const cpu = await firstStepGradients(spec);
    assert.ok(Number.isFinite(gpu.loss));
    assert.ok(Math.abs(gpu.loss - cpu.loss) < 1e-4, `loss ${gpu.loss} vs cpu ${cpu.loss}`);
    assert.equal(gpu.grads.size, cpu.grads.size);
    assert.equal(gpu.grads.size, 16, "3 conv blocks (kernel, bias, gamma, beta) + 2 dense");
    for (const { name, refNorm, distance } of compareGradients(gpu, cpu)) {
      // conv biases feed a train-mode BatchNorm, which cancels them: their true gradient is 0
      // and both backends return rounding noise (~1e-8), hence the absolute term
      const tol = 1e-4 * refNorm + 1e-6;
      assert.ok(distance <= tol, `${name}: L2 distance ${distance.toExponential(2)} > ${tol}`);
    }
  },
});

Deno.test({
  name: "webgpu trains SimpleCNN for an epoch through train(): loss falls, epoch matches wasm",
  ignore,
  async fn() {
    requireWebgpu();
    const out = await Deno.makeTempDir({ prefix: "edgeclass_webgpu_train_" });
    try {
      const opts: TrainOptions = {
        // 9 classes x 24 maps = 216 train, 9 x 6 val: ~14 steps of 16
        datasetOptions: { wafer: { countPerClass: 24, valPerClass: 6 } },
      };
      const config = (backend: TrainConfig["backend"], name: string): TrainConfig => ({
        ...DEFAULT_CONFIG,
        imageSize: SIZE,
        epochs: 1,
        batchSize: BATCH,
        lr: 3e-3,
        backend,
        seed: 3,
        prefetch: 1,
        logEvery: 1,
        checkpointMinutes: 0,
        out,
        name,
      });
      const lines: string[] = [];
      const gpu = await train(config("webgpu", "gpu"), { ...opts, log: (l) => lines.push(l) });
      assert.equal(gpu.backend, "webgpu");
      assert.equal(gpu.status, "finished");
      // checkpoints and the ONNX export read weights back from the GPU
      for (const f of ["checkpoints/last/checkpoint.bin", "model.onnx", "metrics.json"]) {
        await Deno.stat(join(out, "gpu", f));
      }
      const losses = lines.flatMap((l) => {
        const m = /^batch \d+\/\d+ of epoch 1\/1: loss ([\d.]+)/.exec(l);
        return m ? [Number(m[1])] : [];
      });
      assert.ok(losses.length >= 10, `${losses.length} batch losses logged`);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const first = mean(losses.slice(0, 3)), last = mean(losses.slice(-3));
      assert.ok(last < 0.8 * first, `loss falls within the epoch: ${first} -> ${last}`);

      const ref = await train(config("wasm", "wasm"), { ...opts, log: () => {}, skipExport: true });
      const [g, w] = [gpu.history[0], ref.history[0]];
      // Same data, order, init and dropout masks: only float rounding differs, but the conv
      // biases feed a train-mode BatchNorm, so their true gradient is 0 and Adam turns their
      // rounding noise into lr-sized steps: the trajectory depends on summation order. Measured
      // on this config (val loss): cpu 1.3533, stock wasm 1.3558, wasm with our blocked SIMD
      // sums 1.3140 (the same kernel summing rows in tfjs's order: 1.3575), webgpu 1.3531.
      const tolerance = { trainLoss: 0.02, valLoss: 0.05 };
      for (const k of ["trainLoss", "valLoss"] as const) {
        assert.ok(
          Math.abs(g[k] - w[k]) < tolerance[k] * Math.abs(w[k]) + 1e-3,
          `${k}: webgpu ${g[k]} vs wasm ${w[k]}`,
        );
      }
      assert.ok(Math.abs(g.valAcc - w.valAcc) <= 2 / 54, `valAcc ${g.valAcc} vs wasm ${w.valAcc}`);
    } finally {
      await chooseBackend("cpu", () => {});
      await Deno.remove(out, { recursive: true });
    }
  },
});
