/**
 * Test fixture: builds the tiny edgeclass ONNX model with PyTorch (scripts/make_tiny_onnx.py) in a
 * temp dir at test time, and asks torch for reference probabilities. Used by tests only.
 * @module
 */

const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("../scripts/make_tiny_onnx.py", import.meta.url).pathname;

/** Options of `makeTinyModel`, mirroring the script's flags. */
export interface TinyModelOptions {
  labels?: string[];
  size?: number;
  temperature?: number;
  seed?: number;
  /** Metadata keys to leave out (a broken model). */
  omit?: string[];
  /** Outputs beyond the labels (a broken model). */
  extraOutputs?: number;
}

/** Paths of a built tiny model: the .onnx and its torch weights. */
export interface TinyModel {
  onnxPath: string;
  weightsPath: string;
}

async function python(args: string[]): Promise<string> {
  const out = await new Deno.Command(PYTHON, { args: [SCRIPT, ...args], stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(
      `make_tiny_onnx.py ${args[0]} failed:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/** Builds `<dir>/<name>.onnx` (and `.pt`) with torch.onnx.export plus edgeclass metadata. */
export async function makeTinyModel(
  dir: string,
  name = "tiny",
  opts: TinyModelOptions = {},
): Promise<TinyModel> {
  const onnxPath = `${dir}/${name}.onnx`;
  const args = ["make", "--out", onnxPath];
  if (opts.labels) args.push("--labels", opts.labels.join(","));
  if (opts.size) args.push("--size", String(opts.size));
  if (opts.temperature !== undefined) args.push("--temperature", String(opts.temperature));
  if (opts.seed !== undefined) args.push("--seed", String(opts.seed));
  for (const key of opts.omit ?? []) args.push("--omit", key);
  if (opts.extraOutputs) args.push("--extra-outputs", String(opts.extraOutputs));
  await python(args);
  return { onnxPath, weightsPath: `${dir}/${name}.pt` };
}

/** softmax(logits / temperature) per image, from torch, with Pillow doing the preprocessing. */
export async function torchProbsForImages(model: TinyModel, images: string[]): Promise<number[][]> {
  const out = await python([
    "forward",
    "--weights",
    model.weightsPath,
    "--meta",
    model.onnxPath,
    "--images",
    ...images,
  ]);
  return JSON.parse(out).probs;
}

/** Torch probabilities and logits for `count` preprocessed tensors ([count, 3, H, W] float32). */
export async function torchForTensor(
  model: TinyModel,
  tensor: Float32Array,
  count: number,
): Promise<{ probs: number[][]; logits: number[][] }> {
  const path = await Deno.makeTempFile({ suffix: ".f32" });
  try {
    await Deno.writeFile(path, new Uint8Array(tensor.buffer, tensor.byteOffset, tensor.byteLength));
    const out = await python([
      "forward",
      "--weights",
      model.weightsPath,
      "--meta",
      model.onnxPath,
      "--tensor",
      path,
      "--count",
      String(count),
    ]);
    return JSON.parse(out);
  } finally {
    await Deno.remove(path);
  }
}
