/**
 * Makes (once) and locates the files every section uses: the benchmark .onnx models, the
 * wafer-map PNG, and the 640x427 JPEG/PNG photo, all under one directory (bench/fixtures).
 * @module
 */
import { BENCH_MODELS, WAFER_PNG_SIZE } from "./bench_models.ts";

/** Paths of the bench inputs. */
export interface BenchFixtures {
  dir: string;
  /** model key -> .onnx path */
  models: Record<string, string>;
  photoJpeg: string;
  photoPng: string;
  waferPng: string;
}

const HERE = new URL(".", import.meta.url).pathname;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "inherit", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

/**
 * Returns the fixtures in `dir`, making whichever are missing: models and wafer PNG by
 * bench_models.ts (a tfjs subprocess), photos by Pillow (peer_torch.py photos).
 */
export async function ensureFixtures(dir: string, python: string): Promise<BenchFixtures> {
  const fx: BenchFixtures = {
    dir,
    models: Object.fromEntries(BENCH_MODELS.map((m) => [m.key, `${dir}/${m.key}.onnx`])),
    photoJpeg: `${dir}/photo.jpg`,
    photoPng: `${dir}/photo.png`,
    waferPng: `${dir}/wafer_${WAFER_PNG_SIZE}.png`,
  };
  await Deno.mkdir(dir, { recursive: true });
  const modelFiles = [...Object.values(fx.models), fx.waferPng];
  if (!(await Promise.all(modelFiles.map(exists))).every(Boolean)) {
    await run(Deno.execPath(), ["run", "-A", `${HERE}bench_models.ts`, dir]);
  }
  if (!(await exists(fx.photoJpeg)) || !(await exists(fx.photoPng))) {
    await run(python, [`${HERE}peer_torch.py`, "photos", dir]);
  }
  return fx;
}
