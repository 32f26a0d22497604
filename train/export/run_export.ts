import { parseArgs } from "node:util";
import { chooseBackend } from "../backend.ts";
import { DEFAULT_OPSET, exportOnnx, MAX_OPSET, MIN_OPSET } from "./export_onnx.ts";
import { exportViaTf2onnx, findTf2onnxTools, type Tf2onnxTools } from "./export_via_tf2onnx.ts";
import { loadExportSource } from "./load_export_source.ts";
import { type ModelArtifacts, writeModelArtifacts } from "./write_model_artifacts.ts";

/** Parsed `deno task export` flags. */
export interface ExportArgs {
  run?: string;
  checkpoint?: string;
  meta?: string;
  out?: string;
  opset: number;
  foldBatchNorm: boolean;
  via: "native" | "tf2onnx";
  temperature?: number;
  help: boolean;
}

/** `deno task export --help`. */
export function exportUsage(): string {
  return [
    "usage: deno task export (--run runs/<name> | --checkpoint <dir>) [options]",
    "",
    "Re-exports a trained model as model.onnx + model.json (metadata for humans).",
    "  --run <dir>          run folder: model from checkpoints/best, metadata from model.json",
    "                       (or config.json + metrics.json); output into the run folder",
    "  --checkpoint <dir>   a checkpoint folder (checkpoint.bin inside runs/<name>/checkpoints/)",
    "                       or a tfjs layers model folder (model.json + weights.bin)",
    "  --meta <file>        metadata JSON to embed (an export's model.json); needed for a",
    "                       checkpoint outside a run folder",
    "  --out <dir>          output folder (default: the run folder, else the checkpoint folder)",
    `  --opset <n>          ONNX opset, ${MIN_OPSET}..${MAX_OPSET} (default ${DEFAULT_OPSET})`,
    "  --fold-bn            fold BatchNormalization into the preceding convolution",
    "  --temperature <t>    softmax temperature to record (default: keep the metadata's)",
    "  --via native|tf2onnx exporter (default native); tf2onnx needs tensorflowjs_converter",
    "                       and python tf2onnx (pip install tensorflowjs tf2onnx)",
  ].join("\n");
}

/** Parses flags; unknown flags and bad values throw a TypeError naming the flag. */
export function parseExportArgs(argv: string[]): ExportArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        run: { type: "string" },
        checkpoint: { type: "string" },
        meta: { type: "string" },
        out: { type: "string" },
        opset: { type: "string" },
        "fold-bn": { type: "boolean" },
        via: { type: "string" },
        temperature: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new TypeError((err as Error).message);
  }
  const help = values.help ?? false;
  if (!help && !values.run === !values.checkpoint) {
    throw new TypeError("give exactly one of --run <dir> or --checkpoint <dir>");
  }
  const opset = values.opset === undefined ? DEFAULT_OPSET : Number(values.opset);
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new TypeError(
      `--opset must be an integer in ${MIN_OPSET}..${MAX_OPSET}, got '${values.opset}'`,
    );
  }
  const via = values.via ?? "native";
  if (via !== "native" && via !== "tf2onnx") {
    throw new TypeError(`--via must be native or tf2onnx, got '${via}'`);
  }
  let temperature: number | undefined;
  if (values.temperature !== undefined) {
    temperature = Number(values.temperature);
    if (!(temperature > 0) || !Number.isFinite(temperature)) {
      throw new TypeError(`--temperature must be a positive number, got '${values.temperature}'`);
    }
  }
  return {
    run: values.run,
    checkpoint: values.checkpoint,
    meta: values.meta,
    out: values.out,
    opset,
    foldBatchNorm: values["fold-bn"] ?? false,
    via,
    temperature,
    help,
  };
}

/**
 * Runs an export as `args` says and returns what was written. With `--via tf2onnx` the external
 * tools are looked up first, so their absence fails at once with an install hint.
 */
export async function runExport(
  args: ExportArgs,
  log: (line: string) => void = (line) => console.error(line),
): Promise<ModelArtifacts> {
  let tools: Tf2onnxTools | undefined;
  if (args.via === "tf2onnx") tools = await findTf2onnxTools();
  // exporting only reads weights: the plain cpu backend is enough and always available
  await chooseBackend("cpu", () => {});
  const src = await loadExportSource(args);
  src.notes.forEach(log);
  const meta = args.temperature === undefined
    ? src.meta
    : { ...src.meta, temperature: args.temperature };
  const bytes = tools
    ? await exportViaTf2onnx(src.model, meta, { opset: args.opset, tools })
    : exportOnnx(src.model, meta, { opset: args.opset, foldBatchNorm: args.foldBatchNorm });
  const out = args.out ?? src.runDir ?? src.checkpointDir;
  const written = await writeModelArtifacts(out, bytes, meta);
  src.model.dispose();
  log(
    `wrote ${written.onnxPath} (${bytes.length} bytes, opset ${args.opset}) + ${written.jsonPath}`,
  );
  return written;
}
