/**
 * `deno task predict --model <model.onnx> <image...> [--top-k 5] [--json] [--plot out.png]
 * [--engine auto|web|native|webgpu]`: classifies image files with an edgeclass ONNX model and
 * prints the top-K per image; `--plot` writes the images beside bar charts of their top-K.
 * Exit status: 0 all classified, 1 some image failed (named on stderr), 2 bad usage or model.
 * @module
 */
import { parseArgs } from "node:util";
import { decodeImage, DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS } from "../shared/decode.ts";
import { classifyImages, type Prediction, type Timing } from "./classify_images.ts";
import { EDGE_DEFAULTS, type EngineChoice } from "./edge_config.ts";
import { EdgeError, errorBody } from "./edge_error.ts";
import { plotPredictions, type PlotRow } from "./plot_predictions.ts";
import { parseTopK } from "./query_params.ts";
import { loadServedModel, type ServedModel } from "./served_model.ts";

const USAGE =
  `usage: deno task predict --model <model.onnx> <image...> [--top-k 5] [--json] [--plot out.png]
                          [--engine auto|web|native|webgpu]
  --top-k N   predictions per image (default 5; 0 = all labels)
  --json      print one JSON array instead of text
  --plot F    write a PNG with each image beside its top-K bars`;

/** What the CLI prints per file (also the --json element). */
export type FileResult =
  | { file: string; model: string; predictions: Prediction[]; timing_ms: Timing }
  | { file: string; error: { code: string; message: string } };

/** Text lines for one file, e.g. `   1. red          87.12%`. */
export function formatResult(r: FileResult): string {
  if ("error" in r) return `${r.file}: error ${r.error.code}: ${r.error.message}`;
  const width = Math.max(...r.predictions.map((p) => p.label.length), 5);
  const lines = r.predictions.map((p, i) =>
    `  ${String(i + 1).padStart(2)}. ${p.label.padEnd(width)}  ${
      (100 * p.score).toFixed(2).padStart(6)
    }%`
  );
  return [r.file, ...lines].join("\n");
}

class UsageError extends Error {}

async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        model: { type: "string" },
        "top-k": { type: "string" },
        json: { type: "boolean" },
        plot: { type: "string" },
        engine: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals: files } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.model) throw new UsageError("--model <model.onnx> is required");
  if (files.length === 0) throw new UsageError("give at least one image file");
  const engine = (values.engine ?? "auto") as EngineChoice;
  if (!["auto", "web", "native", "webgpu"].includes(engine)) {
    throw new UsageError(`--engine must be auto, web, native or webgpu, got '${engine}'`);
  }

  let model: ServedModel;
  try {
    const bytes = await Deno.readFile(values.model);
    model = await loadServedModel(bytes, {
      name: values.model.split(/[\\/]/).pop()!.replace(/\.onnx$/i, ""),
      engine,
      threads: Math.min(navigator.hardwareConcurrency ?? 1, EDGE_DEFAULTS.maxThreads),
      maxBatch: 1,
      batchWaitMs: 0,
      queueLimit: Math.max(1, files.length),
    });
  } catch (e) {
    const message = (e as Error).message;
    throw new UsageError(
      message.startsWith(values.model) ? message : `${values.model}: ${message}`,
    );
  }
  let topK: number;
  try {
    topK = parseTopK(values["top-k"], model.meta.labels.length);
  } catch (e) {
    throw new UsageError(`--top-k: ${(e as Error).message}`);
  }

  const results: FileResult[] = [];
  const plotRows: PlotRow[] = [];
  const limits = { maxPixels: DEFAULT_MAX_PIXELS, maxBytes: DEFAULT_MAX_BYTES };
  try {
    for (const file of files) {
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(file);
      } catch (e) {
        results.push({ file, error: { code: "unreadable", message: (e as Error).message } });
        continue;
      }
      const [r] = await classifyImages(
        model,
        [bytes],
        { topK, threshold: 0, ...limits },
        () => performance.now(),
      );
      if (r instanceof EdgeError) {
        results.push({ file, ...errorBody(r) });
        continue;
      }
      results.push({ file, model: model.name, ...r });
      if (values.plot) {
        const title = file.split(/[\\/]/).pop() ?? file;
        plotRows.push({
          title,
          image: await decodeImage(bytes, limits),
          predictions: r.predictions,
        });
      }
    }
  } finally {
    await model.release();
  }

  if (values.json) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    for (const r of results) if (!("error" in r)) console.log(formatResult(r));
  }
  for (const r of results) if ("error" in r) console.error(`predict: ${formatResult(r)}`);
  if (values.plot && plotRows.length > 0) {
    try {
      await Deno.writeFile(values.plot, await plotPredictions(plotRows));
    } catch (e) {
      throw new UsageError(`--plot ${values.plot}: ${(e as Error).message}`);
    }
    if (!values.json) console.log(`wrote ${values.plot}`);
  }
  return results.some((r) => "error" in r) ? 1 : 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await run(Deno.args));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`predict: ${e.message}\n${USAGE}`);
    Deno.exit(2);
  }
}
