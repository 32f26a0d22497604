/**
 * The alternative exporter: tfjs layers model -> `tensorflowjs_converter` (tfjs graph model) ->
 * `python -m tf2onnx.convert --tfjs` -> the same edgeclass contract and metadata as `exportOnnx`
 * (via `adoptForeignOnnx`). Useful to cross-check the native exporter on a machine with those
 * Python tools; neither is installable here, so only the "tools absent" path is exercised in CI.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { ModelMetadata } from "../../shared/model_metadata.ts";
import { adoptForeignOnnx } from "./adopt_foreign_onnx.ts";
import { saveTfjsModelDir, TFJS_MODEL_JSON } from "./tfjs_model_dir.ts";

/** What to install when the tools are missing. */
export const TF2ONNX_INSTALL_HINT =
  "install them with: pip install tensorflowjs tf2onnx  (tensorflowjs provides " +
  "tensorflowjs_converter; set TF2ONNX_PYTHON to the python that has tf2onnx if it is not " +
  "`python3` on PATH)";

/** Resolved external tools. */
export interface Tf2onnxTools {
  /** Absolute path of `tensorflowjs_converter`. */
  converter: string;
  /** A python interpreter that can `import tf2onnx`. */
  python: string;
}

/** The first executable file called `name` in the `PATH` directories, or null. */
export async function findOnPath(name: string, path: string | undefined): Promise<string | null> {
  for (const dir of (path ?? "").split(":")) {
    if (dir === "") continue;
    try {
      const st = await Deno.stat(`${dir}/${name}`);
      if (st.isFile && st.mode !== null && (st.mode & 0o111) !== 0) return `${dir}/${name}`;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/**
 * Finds `tensorflowjs_converter` and a python with tf2onnx, using `env` (PATH, TF2ONNX_PYTHON).
 * Throws at once, before any work, with the install hint when either is missing.
 */
export async function findTf2onnxTools(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<Tf2onnxTools> {
  const converter = await findOnPath("tensorflowjs_converter", env.PATH);
  if (!converter) {
    throw new Error(
      `--via tf2onnx: 'tensorflowjs_converter' is not on PATH; ${TF2ONNX_INSTALL_HINT}`,
    );
  }
  const wanted = env.TF2ONNX_PYTHON ?? "python3";
  const python = wanted.includes("/") ? wanted : await findOnPath(wanted, env.PATH);
  if (!python) {
    throw new Error(`--via tf2onnx: '${wanted}' is not on PATH; ${TF2ONNX_INSTALL_HINT}`);
  }
  const probe = await new Deno.Command(python, {
    args: ["-c", "import tf2onnx"],
    env: env as Record<string, string>,
    clearEnv: true,
    stdout: "null",
    stderr: "null",
  }).output().catch(() => ({ success: false }));
  if (!probe.success) {
    throw new Error(`--via tf2onnx: '${python}' cannot import tf2onnx; ${TF2ONNX_INSTALL_HINT}`);
  }
  return { converter, python };
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    const tail = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-15).join("\n");
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${out.code}):\n${tail}`);
  }
}

/**
 * Exports `model` through tensorflowjs_converter + tf2onnx in a temporary folder and returns
 * ONNX bytes carrying `meta`, with input `pixel_values` (NCHW) and output `logits`.
 */
export async function exportViaTf2onnx(
  model: tf.LayersModel,
  meta: ModelMetadata,
  opts: { opset: number; tools: Tf2onnxTools },
): Promise<Uint8Array> {
  const work = await Deno.makeTempDir({ prefix: "edgeclass_tf2onnx_" });
  try {
    await saveTfjsModelDir(model, `${work}/layers`);
    await run(opts.tools.converter, [
      "--input_format=tfjs_layers_model",
      "--output_format=tfjs_graph_model",
      `${work}/layers/${TFJS_MODEL_JSON}`,
      `${work}/graph`,
    ]);
    await run(opts.tools.python, [
      "-m",
      "tf2onnx.convert",
      "--tfjs",
      `${work}/graph/${TFJS_MODEL_JSON}`,
      "--output",
      `${work}/model.onnx`,
      "--opset",
      String(opts.opset),
    ]);
    // tf2onnx keeps the NHWC input; adoptForeignOnnx puts a Transpose in front and names IO
    return adoptForeignOnnx(await Deno.readFile(`${work}/model.onnx`), meta, "tf2onnx output");
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}
