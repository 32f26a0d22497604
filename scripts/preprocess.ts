/**
 * `deno task preprocess --config <PreprocessConfig.json> <image> --out <file>`
 *
 * Decodes one image, runs the evaluation pipeline of the config, writes the tensor as raw
 * float32 little-endian and prints its shape, mean and std. Exit codes: 0 ok, 1 bad input
 * (the message names the file and field or error code), 2 bad usage.
 * @module
 */
import { preprocessImage } from "../shared/apply_preprocess.ts";
import { decodeImage } from "../shared/decode.ts";
import { ImageError } from "../shared/image_error.ts";
import { parsePreprocessConfig, type PreprocessConfig } from "../shared/preprocess_config.ts";
import { toTensor } from "../shared/to_tensor.ts";

const USAGE = "usage: deno task preprocess --config <PreprocessConfig.json> <image> --out <file>";

/** Parsed command line. */
export interface PreprocessArgs {
  config: string;
  image: string;
  out: string;
}

/** Parses argv; throws a TypeError whose message says what is wrong. */
export function parseArgs(argv: string[]): PreprocessArgs {
  const named: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.match(/^--(config|out)=(.*)$/);
    if (eq) named[eq[1]] = eq[2];
    else if (a === "--config" || a === "--out") {
      if (i + 1 >= argv.length) throw new TypeError(`${a} needs a value`);
      named[a.slice(2)] = argv[++i];
    } else if (a.startsWith("-")) throw new TypeError(`unknown option ${a}`);
    else positional.push(a);
  }
  if (!named.config) throw new TypeError("--config is required");
  if (!named.out) throw new TypeError("--out is required");
  if (positional.length !== 1) {
    throw new TypeError(`expected one image path, got ${positional.length}`);
  }
  return { config: named.config, image: positional[0], out: named.out };
}

/** Reads and validates the config file; errors name the file (and the field). */
export async function readConfig(path: string): Promise<PreprocessConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new TypeError(`${path}: cannot read config: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new TypeError(`${path}: not valid JSON: ${(e as Error).message}`);
  }
  return parsePreprocessConfig(value, path);
}

/** Mean and (population) std of `xs`, accumulated in float64. */
export function meanStd(xs: Float32Array): { mean: number; std: number } {
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / xs.length;
  let sq = 0;
  for (const x of xs) sq += (x - mean) ** 2;
  return { mean, std: Math.sqrt(sq / xs.length) };
}

/** `tensor` as little-endian float32 bytes, whatever the host byte order. */
export function float32Le(tensor: Float32Array): Uint8Array {
  const out = new Uint8Array(tensor.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < tensor.length; i++) dv.setFloat32(i * 4, tensor[i], true);
  return out;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  let args: PreprocessArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  try {
    const config = await readConfig(args.config);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(args.image);
    } catch (e) {
      throw new TypeError(`${args.image}: cannot read image: ${(e as Error).message}`);
    }
    let img;
    try {
      img = await decodeImage(bytes, { background: config.background });
    } catch (e) {
      if (e instanceof ImageError) throw new TypeError(`${args.image}: ${e.code}: ${e.message}`);
      throw e;
    }
    // applyPreprocess in two steps, to know the spatial size for the printed shape
    const ready = preprocessImage(config, img);
    const tensor = toTensor(ready, config);
    const [h, w] = [ready.height, ready.width];
    const shape = config.layout === "CHW" ? [3, h, w] : [h, w, 3];
    await Deno.writeFile(args.out, float32Le(tensor));
    const { mean, std } = meanStd(tensor);
    console.log(`shape ${JSON.stringify(shape)} (${config.layout}, float32 little-endian)`);
    console.log(`mean ${mean.toFixed(6)}`);
    console.log(`std ${std.toFixed(6)}`);
    console.log(`wrote ${args.out} (${tensor.length * 4} bytes)`);
    return 0;
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
