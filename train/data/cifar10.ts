import { join } from "node:path";
import { makeImage } from "../../shared/image.ts";
import type { Dataset, Sample } from "./dataset.ts";
import { downloadFile, md5File } from "./download_file.ts";
import { extractTarGz } from "./extract_tar.ts";

/** The official binary-version archive and its published MD5. */
export const CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
export const CIFAR10_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";

const SIDE = 32;
/** One record: a label byte, then 1024 R, 1024 G and 1024 B bytes (CHW, row-major). */
export const CIFAR10_RECORD_BYTES = 1 + 3 * SIDE * SIDE;
const TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const TEST_FILE = "test_batch.bin";
const META_FILE = "batches.meta.txt";
const ARCHIVE = "cifar-10-binary.tar.gz";
const EXTRACTED = "cifar-10-batches-bin";

/** Options for `loadCifar10`. */
export interface Cifar10Options {
  /** Download when the batch files are missing (default true). */
  download?: boolean;
  /** Archive URL; tests point it at a local server. */
  url?: string;
  /** Expected archive MD5; `""` skips the check. */
  md5?: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** The folder holding the batch files: `dir` itself or `dir/cifar-10-batches-bin`. */
async function findBatches(dir: string): Promise<string | undefined> {
  for (const d of [dir, join(dir, EXTRACTED)]) {
    if (await exists(join(d, TEST_FILE)) && await exists(join(d, TRAIN_FILES[0]))) return d;
  }
  return undefined;
}

/** Decodes one batch file into samples, checking the size and every label. */
function batchSamples(path: string, bytes: Uint8Array, numClasses: number): Sample[] {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new Error(
      `${path}: ${bytes.length} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte records`,
    );
  }
  const samples: Sample[] = [];
  for (let r = 0; r < bytes.length / CIFAR10_RECORD_BYTES; r++) {
    const at = r * CIFAR10_RECORD_BYTES;
    const label = bytes[at];
    if (label >= numClasses) {
      throw new Error(
        `${path}: record ${r} has label ${label}, but there are ${numClasses} classes`,
      );
    }
    samples.push({
      id: `${path}#${r}`,
      label,
      load: () => {
        const plane = SIDE * SIDE;
        const chw = bytes.subarray(at + 1, at + CIFAR10_RECORD_BYTES);
        const hwc = new Uint8Array(3 * plane);
        for (let p = 0; p < plane; p++) {
          hwc[3 * p] = chw[p];
          hwc[3 * p + 1] = chw[plane + p];
          hwc[3 * p + 2] = chw[2 * plane + p];
        }
        return Promise.resolve(makeImage(SIDE, SIDE, 3, hwc));
      },
    });
  }
  return samples;
}

/**
 * Makes sure the CIFAR-10 binary batches are under `dir`, downloading and extracting the
 * archive when they are not (a verified archive already in `dir` is reused). Returns the folder
 * holding the batch files.
 */
export async function ensureCifar10(dir: string, opts: Cifar10Options = {}): Promise<string> {
  const found = await findBatches(dir);
  if (found) return found;
  if (opts.download === false) {
    throw new Error(
      `cifar10: no ${TEST_FILE} and ${TRAIN_FILES[0]} in ${dir} or ${join(dir, EXTRACTED)}`,
    );
  }
  const url = opts.url ?? CIFAR10_URL;
  const md5 = opts.md5 ?? CIFAR10_MD5;
  await Deno.mkdir(dir, { recursive: true });
  const archive = join(dir, ARCHIVE);
  if (!(await exists(archive)) || (md5 && (await md5File(archive)) !== md5.toLowerCase())) {
    console.error(`cifar10: downloading ${url} to ${archive}`);
    await downloadFile(url, archive, md5 || undefined);
  }
  await extractTarGz(archive, dir);
  const extracted = await findBatches(dir);
  if (!extracted) throw new Error(`cifar10: ${archive} did not contain ${EXTRACTED}/${TEST_FILE}`);
  return extracted;
}

/**
 * CIFAR-10 from the binary version: `data_batch_1..5.bin` are train (50,000 images), `test_batch.bin`
 * is val (10,000), class names come from `batches.meta.txt`. Sample ids are `<file>#<record>`.
 */
export async function loadCifar10(dir: string, opts: Cifar10Options = {}): Promise<Dataset> {
  const folder = await ensureCifar10(dir, opts);
  const metaPath = join(folder, META_FILE);
  const classes = (await Deno.readTextFile(metaPath)).split(/\r?\n/).map((s) => s.trim()).filter(
    (s) => s !== "",
  );
  if (classes.length === 0) throw new Error(`${metaPath}: no class names`);
  const read = async (name: string) => {
    const path = join(folder, name);
    return batchSamples(path, await Deno.readFile(path), classes.length);
  };
  const train = (await Promise.all(TRAIN_FILES.map(read))).flat();
  const val = await read(TEST_FILE);
  return {
    name: `cifar10:${dir}`,
    classes,
    train,
    val,
    skipped: [],
    domain: "photo",
    fill: [0, 0, 0],
  };
}
