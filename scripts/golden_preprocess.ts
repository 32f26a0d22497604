/**
 * Test helper: runs scripts/golden_preprocess.py (Pillow 9.4 / torchvision 0.14 under
 * /usr/bin/python3) on a batch of jobs in a temporary directory and returns its results.
 * One Python start per batch keeps the tests fast.
 * @module
 */
import type { Image } from "../shared/image.ts";

const SCRIPT = new URL("./golden_preprocess.py", import.meta.url).pathname;

/** Where skimage's sample photos live (real photos for the golden tests). */
export const SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data";

/** One job for the Python side; see the docstring of golden_preprocess.py. */
export type GoldenJob = Record<string, unknown> & { op: string };

/** A scratch directory plus the Python runner. Call `close()` when done. */
export class Golden {
  private constructor(readonly dir: string) {}

  static async create(): Promise<Golden> {
    return new Golden(await Deno.makeTempDir({ prefix: "edgeclass_golden_" }));
  }

  /** A path inside the scratch directory. */
  path(name: string): string {
    return `${this.dir}/${name}`;
  }

  /** Writes `img` as raw pixels and returns the job input spec for Python. */
  async rawInput(name: string, img: Image): Promise<Record<string, unknown>> {
    const path = this.path(`${name}.raw`);
    await Deno.writeFile(path, img.data);
    const mode = img.channels === 1 ? "L" : img.channels === 3 ? "RGB" : "RGBA";
    return { raw: path, width: img.width, height: img.height, mode };
  }

  /** Runs the jobs in one Python process; throws with Python's stderr on failure. */
  async run(jobs: GoldenJob[]): Promise<Record<string, unknown>[]> {
    const jobsPath = this.path(`jobs_${crypto.randomUUID()}.json`);
    await Deno.writeTextFile(jobsPath, JSON.stringify(jobs));
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [SCRIPT, jobsPath],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`golden_preprocess.py failed:\n${new TextDecoder().decode(out.stderr)}`);
    }
    return JSON.parse(new TextDecoder().decode(out.stdout));
  }

  async close(): Promise<void> {
    await Deno.remove(this.dir, { recursive: true });
  }
}

/** Largest absolute difference between two equally long arrays (Infinity if lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > m) m = d;
  }
  return m;
}
