/**
 * Test support: runs scripts/torch_param_counts.py with /usr/bin/python3 (torch 1.13,
 * torchvision 0.14) and loads what it writes. Only the tests import this.
 *
 * @module
 */
import { tf } from "../backend.ts";

const SCRIPT = new URL("../../scripts/torch_param_counts.py", import.meta.url).pathname;

/** Runs the reference script; throws with its stderr on failure. */
export async function runTorchScript(args: string[]): Promise<string> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { OMP_NUM_THREADS: "1" },
  }).output();
  const td = new TextDecoder();
  if (!out.success) {
    throw new Error(`python ${SCRIPT} ${args.join(" ")} failed:\n${td.decode(out.stderr)}`);
  }
  return td.decode(out.stdout);
}

/** Per arch, per input size: torch's counts and leaf-module output shapes (NCHW, batch 1). */
export type TorchCounts = Record<
  string,
  Record<string, { trainable: number; bn_buffers: number; shapes: Record<string, number[]> }>
>;

/** Parameter counts and leaf shapes of all three torch models for `sizes`. */
export async function torchCounts(numClasses: number, sizes: number[]): Promise<TorchCounts> {
  return JSON.parse(await runTorchScript(["counts", String(numClasses), ...sizes.map(String)]));
}

/** Named float32 arrays written by `reference` mode. */
export interface TorchReference {
  get(name: string): { shape: number[]; data: Float32Array };
  names(): string[];
}

/** Runs `reference` mode into a temp dir and loads its arrays. */
export async function torchReference(
  arch: string,
  numClasses: number,
  size: number,
  seed: number,
  stochasticDepthProb = 0,
): Promise<TorchReference> {
  const dir = await Deno.makeTempDir({ prefix: "torch_ref_" });
  try {
    await runTorchScript([
      "reference",
      arch,
      String(numClasses),
      String(size),
      String(seed),
      dir,
      String(stochasticDepthProb),
    ]);
    const index: Record<string, { shape: number[]; offset: number }> = JSON.parse(
      await Deno.readTextFile(`${dir}/index.json`),
    );
    const bytes = await Deno.readFile(`${dir}/data.bin`);
    const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    return {
      names: () => Object.keys(index),
      get(name) {
        const e = index[name];
        if (e === undefined) throw new Error(`torch reference has no array "${name}"`);
        const size = e.shape.reduce((a, b) => a * b, 1);
        return { shape: e.shape, data: all.subarray(e.offset, e.offset + size) };
      },
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** tfjs variable role (last name segment) -> torch state_dict suffix. */
const TORCH_SUFFIX: Record<string, string> = {
  kernel: "weight",
  depthwise_kernel: "weight",
  bias: "bias",
  gamma: "weight",
  beta: "bias",
  moving_mean: "running_mean",
  moving_variance: "running_var",
};

/** The torch state_dict name of a tfjs layer weight, e.g. `layer1.0.bn1.running_var`. */
export function torchNameOf(layerName: string, weight: tf.LayerVariable): string {
  const role = weight.originalName.split("/").pop() ?? "";
  const suffix = TORCH_SUFFIX[role];
  if (suffix === undefined) throw new Error(`${weight.originalName}: unknown weight role`);
  return `${layerName}.${suffix}`;
}

/**
 * Copies every `state/<torch name>` array into `model`; throws unless the mapping is a
 * bijection with equal shapes.
 */
export function loadTorchState(model: tf.LayersModel, ref: TorchReference): void {
  const unused = new Set(
    ref.names().filter((n) => n.startsWith("state/")).map((n) => n.slice(6)),
  );
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const values = layer.weights.map((w) => {
      const name = torchNameOf(layer.name, w);
      if (!unused.delete(name)) throw new Error(`no torch tensor (left) for ${name}`);
      const { shape, data } = ref.get(`state/${name}`);
      if (JSON.stringify(shape) !== JSON.stringify(w.shape)) {
        throw new Error(`${name}: torch shape [${shape}] vs tfjs [${w.shape}]`);
      }
      return tf.tensor(data, shape);
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
  if (unused.size > 0) throw new Error(`torch tensors with no tfjs weight: ${[...unused]}`);
}
