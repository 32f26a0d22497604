import { join, relative } from "node:path";
import type { Dataset, Sample } from "./dataset.ts";
import { compareCodePoints } from "./compare_code_points.ts";
import { fileSample } from "./file_sample.ts";
import { DECODABLE_FORMATS, hasImageExtension, sniffImageFile } from "./image_file.ts";
import { stratifiedSplit } from "./stratified_split.ts";

/** Options for `loadImageFolder`. */
export interface ImageFolderOptions {
  /** Seed of the stratified split (used only without train/ and val/ subfolders). */
  seed: number;
  /** Share of each class put in val when splitting a single folder. */
  valFraction: number;
  /** `skip`: list unreadable files in `skipped`; `fail`: throw on the first one. */
  onBadImage: "skip" | "fail";
}

/** Folder names accepted as the validation split next to `train/`. */
const VAL_DIRS = ["val", "valid", "validation"];

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Class folders of `dir`, sorted by code point like torchvision's `find_classes`. Hidden
 * folders (".ipynb_checkpoints") are left out, where torchvision would make them a class.
 */
async function listClasses(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".")) continue;
    if (e.isDirectory || (e.isSymlink && await isDir(join(dir, e.name)))) names.push(e.name);
  }
  return names.sort(compareCodePoints);
}

/**
 * Every file under `dir`, in torchvision's order: folders sorted by full path (`sorted(os.walk())`),
 * then file names sorted within each folder. Follows symlinks, like `followlinks=True`.
 */
async function walkFiles(dir: string): Promise<string[]> {
  const dirs: string[] = [];
  const filesOf = new Map<string, string[]>();
  const visit = async (d: string, depth: number) => {
    if (depth > 64) throw new Error(`${d}: folders nested too deep (a symlink loop?)`);
    dirs.push(d);
    const files: string[] = [];
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory || (e.isSymlink && await isDir(p))) await visit(p, depth + 1);
      else files.push(e.name);
    }
    filesOf.set(d, files.sort(compareCodePoints));
  };
  await visit(dir, 0);
  return dirs.sort(compareCodePoints).flatMap((d) => filesOf.get(d)!.map((f) => join(d, f)));
}

type Skipped = Dataset["skipped"];

/** Samples of one split folder (`<dir>/<class>/**`), labelled with indices into `classes`. */
async function scanSplit(
  dir: string,
  classes: string[],
  opts: ImageFolderOptions,
  skipped: Skipped,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const [label, cls] of classes.entries()) {
    const classDir = join(dir, cls);
    if (!(await isDir(classDir))) continue;
    let found = 0;
    for (const path of await walkFiles(classDir)) {
      const name = relative(classDir, path);
      if (!hasImageExtension(name)) {
        skipped.push({ id: path, reason: "not an image file extension" });
        continue;
      }
      const format = await sniffImageFile(path);
      const reason = format === null
        ? "content is not an image (magic bytes)"
        : DECODABLE_FORMATS.includes(format)
        ? undefined
        : `${format} images are not supported by the decoder`;
      if (reason) {
        if (opts.onBadImage === "fail") throw new Error(`${path}: ${reason}`);
        skipped.push({ id: path, reason });
        continue;
      }
      samples.push(fileSample(path, label));
      found++;
    }
    if (found === 0) skipped.push({ id: classDir, reason: `class '${cls}' has no usable images` });
  }
  return samples;
}

/**
 * A torchvision-style `ImageFolder` dataset: `root/<class>/<images>` (subfolders allowed).
 * With `root/train/` and `root/val/` (or `valid/`, `validation/`) the classes come from train/
 * and val/ must not add new ones; otherwise each class is split with a seeded stratified split.
 * Files with other extensions are skipped; files whose first bytes are not a decodable image are
 * skipped or, with `onBadImage: "fail"`, an error naming the file.
 */
export async function loadImageFolder(root: string, opts: ImageFolderOptions): Promise<Dataset> {
  if (!(await isDir(root))) throw new Error(`imagefolder: '${root}' is not a folder`);
  const trainDir = join(root, "train");
  let valDir: string | undefined;
  if (await isDir(trainDir)) {
    for (const name of VAL_DIRS) {
      if (await isDir(join(root, name))) {
        valDir = join(root, name);
        break;
      }
    }
  }
  const skipped: Skipped = [];
  const base = {
    name: `imagefolder:${root}`,
    domain: "photo" as const,
    fill: [0, 0, 0] as [number, number, number],
  };
  if (valDir) {
    const classes = await listClasses(trainDir);
    if (classes.length === 0) throw new Error(`imagefolder: '${trainDir}' has no class folders`);
    const extra = (await listClasses(valDir)).filter((c) => !classes.includes(c));
    if (extra.length > 0) {
      throw new Error(
        `imagefolder: '${valDir}' has classes missing from train/: ${extra.join(", ")}`,
      );
    }
    const train = await scanSplit(trainDir, classes, opts, skipped);
    const val = await scanSplit(valDir, classes, opts, skipped);
    if (train.length === 0) throw new Error(`imagefolder: no usable images under '${trainDir}'`);
    return { ...base, classes, train, val, skipped };
  }
  const dir = (await isDir(trainDir)) ? trainDir : root;
  const classes = await listClasses(dir);
  if (classes.length === 0) throw new Error(`imagefolder: '${dir}' has no class folders`);
  const all = await scanSplit(dir, classes, opts, skipped);
  if (all.length === 0) throw new Error(`imagefolder: no usable images under '${dir}'`);
  const split = stratifiedSplit(all.map((s) => s.label), opts.valFraction, opts.seed);
  return {
    ...base,
    classes,
    train: split.train.map((i) => all[i]),
    val: split.val.map((i) => all[i]),
    skipped,
  };
}
