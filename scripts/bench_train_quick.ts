/**
 * Quick training-throughput check: images/s of full training steps (forward, backward, SGD
 * update) per tfjs backend, and of the same model and batch in PyTorch on the CPU.
 *
 *   deno run -A scripts/bench_train_quick.ts [--arch simple_cnn] [--batch 128] [--size 32]
 *     [--classes 9] [--steps 5] [--warmup 1] [--backends wasm,cpu] [--torch] [--profile]
 *
 * --profile prints the kernels taking most of one step's time (per backend). Numbers are
 * rough on a shared machine: the median step is reported.
 *
 * @module
 */
import { type BackendChoice, chooseBackend, tf } from "../train/backend.ts";
import { type Arch, ARCHS, buildModel } from "../train/models/mod.ts";

interface Options {
  arch: Arch;
  batch: number;
  size: number;
  classes: number;
  steps: number;
  warmup: number;
  backends: BackendChoice[];
  torch: boolean;
  profile: boolean;
}

function parseArgs(args: string[]): Options {
  const opts: Options = {
    arch: "simple_cnn",
    batch: 128,
    size: 32,
    classes: 9,
    steps: 5,
    warmup: 1,
    backends: ["wasm", "cpu"],
    torch: false,
    profile: false,
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new TypeError(`${flag} needs a value`);
      return v;
    };
    const int = () => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 1) throw new TypeError(`${flag} must be a positive integer`);
      return v;
    };
    switch (flag) {
      case "--arch": {
        const a = value();
        if (!(ARCHS as readonly string[]).includes(a)) {
          throw new TypeError(`--arch must be one of ${ARCHS.join(", ")}`);
        }
        opts.arch = a as Arch;
        break;
      }
      case "--batch":
        opts.batch = int();
        break;
      case "--size":
        opts.size = int();
        break;
      case "--classes":
        opts.classes = int();
        break;
      case "--steps":
        opts.steps = int();
        break;
      case "--warmup": {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 0) throw new TypeError("--warmup must be >= 0");
        opts.warmup = v;
        break;
      }
      case "--backends":
        opts.backends = value().split(",") as BackendChoice[];
        break;
      case "--torch":
        opts.torch = true;
        break;
      case "--profile":
        opts.profile = true;
        break;
      default:
        throw new TypeError(`unknown flag ${flag}`);
    }
  }
  return opts;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median images/s over `steps` SGD steps after one warm-up step. */
async function benchTfjs(opts: Options, backend: BackendChoice): Promise<number> {
  await chooseBackend(backend, (line) => console.log(line));
  const model = buildModel({
    arch: opts.arch,
    numClasses: opts.classes,
    inputSize: opts.size,
    seed: 1,
  });
  const optimizer = tf.train.sgd(0.01);
  const x = tf.randomNormal([opts.batch, opts.size, opts.size, 3]);
  const labels = tf.oneHot(
    tf.randomUniform([opts.batch], 0, opts.classes, "int32"),
    opts.classes,
  );
  const step = () => {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor),
      true,
    );
    loss?.dataSync();
    loss?.dispose();
  };
  // Warm-up: kernel setup, XNNPACK operator caches (--warmup 0 for the very slow cpu backend).
  for (let i = 0; i < opts.warmup; i++) step();
  const times: number[] = [];
  for (let i = 0; i < opts.steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  if (opts.profile) {
    const info = await tf.profile(step);
    const byKernel = new Map<string, number>();
    for (const k of info.kernels) {
      byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
    }
    const top = [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(`  top kernels (${backend}, nested kernels counted in their parent too):`);
    for (const [name, ms] of top) console.log(`    ${name.padEnd(36)} ${ms.toFixed(0)} ms`);
  }
  tf.dispose([x, labels]);
  model.dispose();
  optimizer.dispose();
  return (opts.batch * 1000) / median(times);
}

/** The same training step in PyTorch (CPU), via scripts/torch_param_counts.py's models. */
async function benchTorch(opts: Options, threads: number): Promise<number> {
  const code = `
import sys, time, torch
sys.path.insert(0, ${JSON.stringify(new URL(".", import.meta.url).pathname)})
from torch_param_counts import build
torch.set_num_threads(${threads})
torch.manual_seed(1)
m = build(${JSON.stringify(opts.arch)}, ${opts.classes}, ${opts.size}); m.train()
opt = torch.optim.SGD(m.parameters(), lr=0.01)
x = torch.randn(${opts.batch}, 3, ${opts.size}, ${opts.size}); y = torch.randint(0, ${opts.classes}, (${opts.batch},))
def step():
    opt.zero_grad(); loss = torch.nn.functional.cross_entropy(m(x), y); loss.backward(); opt.step()
step()
ts = []
for _ in range(${opts.steps}):
    t0 = time.perf_counter(); step(); ts.append(time.perf_counter() - t0)
print(${opts.batch} / sorted(ts)[len(ts) // 2])
`;
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return Number(new TextDecoder().decode(out.stdout).trim());
}

if (import.meta.main) {
  const opts = parseArgs(Deno.args);
  console.log(
    `${opts.arch}, batch ${opts.batch}, ${opts.size}x${opts.size}, ${opts.classes} classes, ` +
      `median of ${opts.steps} training steps after ${opts.warmup} warm-up`,
  );
  for (const backend of opts.backends) {
    const ips = await benchTfjs(opts, backend);
    console.log(`tfjs ${backend}: ${ips.toFixed(1)} img/s`);
  }
  if (opts.torch) {
    for (const threads of [1, 2]) {
      const ips = await benchTorch(opts, threads);
      console.log(`pytorch cpu ${threads} thread(s): ${ips.toFixed(1)} img/s`);
    }
  }
}
