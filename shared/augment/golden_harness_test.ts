/**
 * Test-only helper (it spawns Python, so it is named *_test.ts to stay out of the browser
 * build; it registers no tests itself). Runs scripts/golden_augment.py once per test file and
 * hands back torchvision's inputs and outputs as `Image`s.
 */
import { type Image, makeImage } from "../image.ts";

/** One torchvision.transforms.functional call; `args` are the script's keyword names. */
export interface GoldenStep {
  op: string;
  args?: Record<string, unknown>;
}

/** A named test image (see IMAGES in the script) put through `steps` in order. */
export interface GoldenCase {
  id: string;
  image: string;
  steps: GoldenStep[];
}

/** The script's answers: inputs by image name, outputs and numeric values by case id. */
export interface GoldenResults {
  inputs: Map<string, Image>;
  outputs: Map<string, Image>;
  values: Map<string, number[]>;
}

const SCRIPT = new URL("../../scripts/golden_augment.py", import.meta.url).pathname;

function readImage(path: string, shape: [number, number, number]): Image {
  const [w, h, c] = shape;
  return makeImage(w, h, c as 1 | 3 | 4, Deno.readFileSync(path));
}

/** Runs the reference script on `cases` in a temp dir (removed afterwards). */
export async function runGolden(cases: readonly GoldenCase[]): Promise<GoldenResults> {
  const dir = await Deno.makeTempDir({ prefix: "golden_augment_" });
  try {
    await Deno.writeTextFile(`${dir}/spec.json`, JSON.stringify({ cases }));
    const { code, stderr } = await new Deno.Command("/usr/bin/python3", {
      args: [SCRIPT, `${dir}/spec.json`, dir],
      stdout: "inherit",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      throw new Error(`golden_augment.py failed (${code}):\n${new TextDecoder().decode(stderr)}`);
    }
    const res = JSON.parse(await Deno.readTextFile(`${dir}/results.json`)) as {
      images: Record<string, [number, number, number]>;
      outputs: Record<string, [number, number, number]>;
      values: Record<string, number[]>;
    };
    const inputs = new Map<string, Image>();
    for (const [name, shape] of Object.entries(res.images)) {
      inputs.set(name, readImage(`${dir}/in_${name}.raw`, shape));
    }
    const outputs = new Map<string, Image>();
    for (const [id, shape] of Object.entries(res.outputs)) {
      outputs.set(id, readImage(`${dir}/out_${id}.raw`, shape));
    }
    return { inputs, outputs, values: new Map(Object.entries(res.values)) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Per-level comparison of two images of the same shape. */
export interface Diff {
  /** Largest |a - b| over all samples. */
  max: number;
  /** Fraction of samples that differ at all. */
  fraction: number;
}

/** Compares `got` with `want`; throws if the shapes differ. */
export function diffImages(got: Image, want: Image): Diff {
  const shape = (i: Image) => `${i.width}x${i.height}x${i.channels}`;
  if (shape(got) !== shape(want)) throw new Error(`shape ${shape(got)} != ${shape(want)}`);
  let max = 0;
  let differ = 0;
  for (let i = 0; i < got.data.length; i++) {
    const d = Math.abs(got.data[i] - want.data[i]);
    if (d > 0) differ++;
    if (d > max) max = d;
  }
  return { max, fraction: differ / got.data.length };
}

/** Looks up a golden entry, failing loudly if the script skipped it. */
export function must<T>(map: Map<string, T>, key: string): T {
  const v = map.get(key);
  if (v === undefined) throw new Error(`no golden entry '${key}'`);
  return v;
}
