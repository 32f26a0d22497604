import { dirname, isAbsolute, join } from "node:path";
import type { Dataset, Sample } from "./dataset.ts";
import { compareCodePoints } from "./compare_code_points.ts";
import { fileSample } from "./file_sample.ts";
import { DECODABLE_FORMATS, sniffImageFile } from "./image_file.ts";
import { parseCsv } from "./parse_csv.ts";
import { stratifiedSplit } from "./stratified_split.ts";

/** Options for `loadCsvDataset`. */
export interface CsvDatasetOptions {
  seed: number;
  /** Share of each class put in val (unless the CSV has a split column). */
  valFraction: number;
  /** `skip`: bad rows and files go to `skipped` with their line; `fail`: throw on the first. */
  onBadImage: "skip" | "fail";
  /** Header of the image path column (default `filename`). */
  filenameColumn?: string;
  /** Header of the label column (default `label`). */
  labelColumn?: string;
  /** Optional column saying `train` or `val` per row (default `split`, used when present). */
  splitColumn?: string;
  /**
   * Class names; a label is then a name from this list or an index into it. Without it,
   * `classes.txt` (one name per line) beside the CSV is used when present, else the classes are
   * the label values: indices 0..max when all labels are integers, else the sorted names.
   */
  classes?: string[];
}

/** One good row before labels are resolved. */
interface Row {
  line: number;
  path: string;
  label: string;
  split?: "train" | "val";
}

async function readClassesFile(csvPath: string): Promise<string[] | undefined> {
  const path = join(dirname(csvPath), "classes.txt");
  try {
    const names = (await Deno.readTextFile(path)).split(/\r?\n/).map((s) => s.trim());
    return names.filter((s) => s !== "");
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/**
 * A dataset listed in a CSV file (`filename,label` by default, header row required, quoted
 * fields allowed); image paths are relative to `imageDir`. Every problem names the CSV line:
 * an empty field, an unknown label, a missing file or a file that is not an image.
 * Malformed CSV and missing columns always throw; row problems follow `onBadImage`.
 */
export async function loadCsvDataset(
  csvPath: string,
  imageDir: string,
  opts: CsvDatasetOptions,
): Promise<Dataset> {
  let text: string;
  try {
    text = await Deno.readTextFile(csvPath);
  } catch (e) {
    throw new Error(`csv: cannot read '${csvPath}': ${e instanceof Error ? e.message : e}`);
  }
  const records = parseCsv(text, csvPath);
  if (records.length === 0) throw new Error(`${csvPath}: empty file (a header row is required)`);
  const header = records[0].fields.map((h) => h.trim());
  const col = (name: string, required: boolean) => {
    const at = header.indexOf(name);
    if (at < 0 && required) {
      throw new Error(
        `${csvPath} line ${records[0].line}: no '${name}' column (header: ${header.join(", ")})`,
      );
    }
    return at;
  };
  const fileCol = col(opts.filenameColumn ?? "filename", true);
  const labelCol = col(opts.labelColumn ?? "label", true);
  const splitCol = col(opts.splitColumn ?? "split", false);
  const skipped: Dataset["skipped"] = [];
  const bad = (line: number, what: string, id = `${csvPath}:${line}`) => {
    const reason = `${csvPath} line ${line}: ${what}`;
    if (opts.onBadImage === "fail") throw new Error(reason);
    skipped.push({ id, reason });
  };

  const rows: Row[] = [];
  for (const { line, fields } of records.slice(1)) {
    if (fields.length !== header.length) {
      bad(line, `expected ${header.length} fields, got ${fields.length}`);
      continue;
    }
    const file = fields[fileCol].trim();
    const label = fields[labelCol].trim();
    const split = splitCol >= 0 ? fields[splitCol].trim().toLowerCase() : undefined;
    if (file === "") {
      bad(line, `empty '${header[fileCol]}' field`);
      continue;
    }
    if (label === "") {
      bad(line, `empty '${header[labelCol]}' field`);
      continue;
    }
    if (split !== undefined && split !== "train" && split !== "val") {
      bad(line, `'${header[splitCol]}' must be train or val, got '${split}'`);
      continue;
    }
    const path = isAbsolute(file) ? file : join(imageDir, file);
    rows.push({ line, path, label, split: split as Row["split"] });
  }

  // Resolve labels: an explicit class list, classes.txt, or the values themselves.
  const given = opts.classes ?? (await readClassesFile(csvPath));
  let classes: string[];
  if (given) classes = given;
  else if (rows.every((r) => /^\d+$/.test(r.label))) {
    const max = rows.reduce((m, r) => Math.max(m, Number(r.label)), -1);
    classes = Array.from({ length: max + 1 }, (_, i) => String(i));
  } else classes = [...new Set(rows.map((r) => r.label))].sort(compareCodePoints);
  if (classes.length === 0) throw new Error(`${csvPath}: no usable rows`);
  const index = new Map(classes.map((c, i) => [c, i]));

  const samples: Sample[] = [];
  const splits: (Row["split"])[] = [];
  for (const row of rows) {
    let label = index.get(row.label);
    if (label === undefined && /^\d+$/.test(row.label) && Number(row.label) < classes.length) {
      label = Number(row.label);
    }
    if (label === undefined) {
      const known = classes.length > 12 ? `${classes.length} classes` : classes.join(", ");
      bad(row.line, `unknown label '${row.label}' (classes: ${known})`, row.path);
      continue;
    }
    let format;
    try {
      format = await sniffImageFile(row.path);
    } catch (e) {
      const why = e instanceof Deno.errors.NotFound ? "not found" : `unreadable (${e})`;
      bad(row.line, `file '${row.path}' ${why}`, row.path);
      continue;
    }
    if (format === null || !DECODABLE_FORMATS.includes(format)) {
      bad(
        row.line,
        `'${row.path}' is not a supported image (${format ?? "unknown format"})`,
        row.path,
      );
      continue;
    }
    samples.push(fileSample(row.path, label));
    splits.push(row.split);
  }
  if (samples.length === 0) throw new Error(`${csvPath}: no usable rows`);

  let train: Sample[];
  let val: Sample[];
  if (splitCol >= 0) {
    train = samples.filter((_, i) => splits[i] === "train");
    val = samples.filter((_, i) => splits[i] === "val");
  } else {
    const split = stratifiedSplit(samples.map((s) => s.label), opts.valFraction, opts.seed);
    train = split.train.map((i) => samples[i]);
    val = split.val.map((i) => samples[i]);
  }
  return {
    name: `csv:${csvPath},${imageDir}`,
    classes,
    train,
    val,
    skipped,
    domain: "photo",
    fill: [0, 0, 0],
  };
}
