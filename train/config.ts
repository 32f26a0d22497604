import { parseArgs } from "node:util";
import type { BackendChoice as BackendName } from "./backend.ts";
import type { Arch as ModelArch } from "./models/arch.ts";
import { parseSha256 } from "./weights/fetch_weights.ts";
import { parseSchedule } from "./weights/parse_schedule.ts";
import { parseUnfreeze } from "./weights/parse_unfreeze.ts";
import { PRETRAINED_ARCHS } from "./weights/torchvision_names.ts";

/** Model architectures `buildModel` knows. */
export const ARCHS = ["simple_cnn", "resnet18", "efficientnet_b0"] as const;
export type Arch = typeof ARCHS[number];
/** Augmentation recipes (train/data/recipes.ts). */
export const AUGMENTS = ["basic", "strong", "pretrained", "none"] as const;
export type Augment = typeof AUGMENTS[number];
/** tfjs backends `chooseBackend` accepts. */
export const BACKENDS = ["auto", "tensorflow", "wasm", "cpu", "webgpu"] as const;
export type BackendChoice = typeof BACKENDS[number];
export const ON_BAD_IMAGE = ["skip", "fail"] as const;
export type OnBadImage = typeof ON_BAD_IMAGE[number];

/**
 * Everything that defines a training run. The resolved value is saved as
 * `runs/<name>/config.json`, which is itself a valid `--config` file.
 */
export interface TrainConfig {
  /** Dataset spec: `wafer`, `imagefolder:<dir>`, `csv:<file>,<dir>` or `cifar10:<dir>`. */
  data: string;
  arch: Arch;
  /** Square model input side, pixels. */
  imageSize: number;
  epochs: number;
  batchSize: number;
  /** Peak learning rate (AdamW). */
  lr: number;
  /** Decoupled weight decay (AdamW), not applied to biases and BatchNorm gamma/beta. */
  weightDecay: number;
  /** Cross-entropy label smoothing in [0, 1). */
  labelSmoothing: number;
  /** Epochs of linear warmup before cosine annealing. */
  warmupEpochs: number;
  /** Max global gradient norm; 0 turns clipping off. */
  clipGrad: number;
  /** Stop after this many epochs without a better val accuracy; 0 turns early stopping off. */
  patience: number;
  augment: Augment;
  /** Train only the classifier head (pretrained-style fine-tuning). */
  freezeBackbone: boolean;
  backend: BackendChoice;
  /** Seeds weight init, data order, augmentation and dropout. */
  seed: number;
  /** Parent folder of run folders. */
  out: string;
  /** Run folder name under `out`; null picks `<timestamp>_<arch>`. */
  name: string | null;
  onBadImage: OnBadImage;
  /** Fraction of samples held out for validation when the dataset has no split. */
  valFraction: number;
  /** Batches prepared ahead of the training step. */
  prefetch: number;
  /**
   * Pretrained weights to start from: a safetensors path or a file:// or http(s) URL (cached),
   * torchvision or timm names; null trains from scratch. Only resnet18 and efficientnet_b0.
   */
  weights: string | null;
  /** Expected sha256 of the weights file (64 hex digits or a prefix of at least 8). */
  weightsSha256: string | null;
  /**
   * Transfer-learning stages `head:E1,finetune:E2`: E1 epochs training only the head on a frozen
   * backbone (its BatchNorms in inference mode), then E2 epochs training what `unfreeze` says.
   * The epoch count is then E1 + E2. Null: one stage of `epochs` epochs.
   */
  schedule: string | null;
  /**
   * What the fine-tune stage trains: `all`, or `last:N` (the head and the last N backbone
   * blocks). Without a schedule it applies to the whole run (unless `freezeBackbone`).
   */
  unfreeze: string;
  /**
   * Learning-rate factor for backbone (non-head) variables: AdamW updates them with
   * `lr * backboneLrMult`, like a PyTorch parameter group. Typical fine-tuning value 0.1.
   */
  backboneLrMult: number;
  /** Also print a progress line every this many batches (logs without a terminal); 0: off. */
  logEvery: number;
  /**
   * Also save `checkpoints/last` mid-epoch once this many minutes have passed since the last
   * save, so a crash or kill loses at most that much work, not a whole epoch; 0: only at epoch
   * ends. A resume from a mid-epoch checkpoint is exact like any other.
   */
  checkpointMinutes: number;
}

/**
 * The single place where defaults live. Sized so that plain `deno task train` (SimpleCNN on the
 * built-in wafer maps) finishes within minutes on 2 CPU cores and reaches >= 95% val accuracy.
 */
export const DEFAULT_CONFIG: Readonly<TrainConfig> = Object.freeze({
  data: "wafer",
  arch: "simple_cnn",
  imageSize: 32,
  epochs: 8,
  batchSize: 64,
  lr: 1e-3,
  weightDecay: 1e-4,
  labelSmoothing: 0,
  warmupEpochs: 0,
  clipGrad: 0,
  patience: 0,
  augment: "basic",
  freezeBackbone: false,
  backend: "auto",
  seed: 42,
  out: "runs",
  name: null,
  onBadImage: "skip",
  valFraction: 0.2,
  prefetch: 2,
  weights: null,
  weightsSha256: null,
  schedule: null,
  unfreeze: "all",
  backboneLrMult: 1,
  logEvery: 0,
  checkpointMinutes: 10,
});

// The lists above are repeated here so that config stays free of tfjs; these fail to compile
// when they drift from the model and backend modules.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _archsMatch: Same<Arch, ModelArch> = true;
const _backendsMatch: Same<BackendChoice, BackendName> = true;

type Key = keyof TrainConfig;

/** How one field is checked; `check` throws a message fragment (without the field name). */
interface Field {
  flag: string;
  kind: "string" | "boolean";
  check(value: unknown): unknown;
  /** Converts the CLI string form before `check`. */
  fromFlag?(text: string): unknown;
}

const num = (text: string) => (text.trim() === "" ? NaN : Number(text));

function intIn(lo: number, hi: number): Field["check"] {
  return (v) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
      throw `must be an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`;
    }
    return v;
  };
}

function numIn(lo: number, hi: number, hiOpen = false): Field["check"] {
  return (v) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < lo || (hiOpen ? v >= hi : v > hi)) {
      throw `must be a number in [${lo}, ${hi}${hiOpen ? ")" : "]"}, got ${JSON.stringify(v)}`;
    }
    return v;
  };
}

function oneOf(options: readonly string[]): Field["check"] {
  return (v) => {
    if (typeof v !== "string" || !options.includes(v)) {
      throw `must be one of ${options.join(", ")}, got ${JSON.stringify(v)}`;
    }
    return v;
  };
}

function nonEmptyString(v: unknown): string {
  if (typeof v !== "string" || v.trim() === "") throw `must be a non-empty string`;
  return v;
}

function nullOr(check: Field["check"]): Field["check"] {
  return (v) => (v === null ? null : check(v));
}

/**
 * Runs a parser that throws TypeError(`x: <why>`) and turns its message into a `check` fragment;
 * `isString` false means the value was not a string at all.
 */
function fromTypeError<T>(parse: () => T, isString: boolean): T {
  if (!isString) throw `must be a string`;
  try {
    return parse();
  } catch (err) {
    if (err instanceof TypeError) throw err.message.replace(/^x: /, "");
    throw err;
  }
}

const FIELDS: Record<Key, Field> = {
  data: { flag: "data", kind: "string", check: nonEmptyString },
  arch: { flag: "arch", kind: "string", check: oneOf(ARCHS) },
  imageSize: { flag: "image-size", kind: "string", check: intIn(8, 1024), fromFlag: num },
  epochs: { flag: "epochs", kind: "string", check: intIn(1, 100000), fromFlag: num },
  batchSize: { flag: "batch-size", kind: "string", check: intIn(1, 65536), fromFlag: num },
  lr: {
    flag: "lr",
    kind: "string",
    check: (v) => {
      if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) {
        throw `must be a positive number, got ${JSON.stringify(v)}`;
      }
      return v;
    },
    fromFlag: num,
  },
  weightDecay: { flag: "weight-decay", kind: "string", check: numIn(0, 1), fromFlag: num },
  labelSmoothing: {
    flag: "label-smoothing",
    kind: "string",
    check: numIn(0, 1, true),
    fromFlag: num,
  },
  warmupEpochs: { flag: "warmup-epochs", kind: "string", check: intIn(0, 100000), fromFlag: num },
  clipGrad: { flag: "clip-grad", kind: "string", check: numIn(0, 1e12), fromFlag: num },
  patience: { flag: "patience", kind: "string", check: intIn(0, 100000), fromFlag: num },
  augment: { flag: "augment", kind: "string", check: oneOf(AUGMENTS) },
  freezeBackbone: {
    flag: "freeze-backbone",
    kind: "boolean",
    check: (v) => {
      if (typeof v !== "boolean") throw `must be true or false, got ${JSON.stringify(v)}`;
      return v;
    },
  },
  backend: { flag: "backend", kind: "string", check: oneOf(BACKENDS) },
  seed: { flag: "seed", kind: "string", check: intIn(0, 2 ** 32 - 1), fromFlag: num },
  out: { flag: "out", kind: "string", check: nonEmptyString },
  name: {
    flag: "name",
    kind: "string",
    check: (v) => {
      if (v === null) return v;
      // the name becomes one folder: no separators, no `..`
      if (typeof v !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v) || v.length > 120) {
        throw `must be null or a folder name of letters, digits, '.', '_' or '-', got ${
          JSON.stringify(v)
        }`;
      }
      return v;
    },
  },
  onBadImage: { flag: "on-bad-image", kind: "string", check: oneOf(ON_BAD_IMAGE) },
  valFraction: { flag: "val-fraction", kind: "string", check: numIn(0, 1, true), fromFlag: num },
  prefetch: { flag: "prefetch", kind: "string", check: intIn(0, 64), fromFlag: num },
  weights: { flag: "weights", kind: "string", check: nullOr(nonEmptyString) },
  weightsSha256: {
    flag: "weights-sha256",
    kind: "string",
    check: nullOr((v) => fromTypeError(() => parseSha256(String(v)), typeof v === "string")),
  },
  schedule: {
    flag: "schedule",
    kind: "string",
    check: nullOr((v) => {
      fromTypeError(() => parseSchedule(String(v), "x"), typeof v === "string");
      return (v as string).trim();
    }),
  },
  unfreeze: {
    flag: "unfreeze",
    kind: "string",
    check: (v) => {
      fromTypeError(() => parseUnfreeze(String(v), "x"), typeof v === "string");
      return (v as string).trim();
    },
  },
  backboneLrMult: {
    flag: "backbone-lr-mult",
    kind: "string",
    check: (v) => {
      if (typeof v !== "number" || !(v > 0) || v > 1000) {
        throw `must be a number in (0, 1000], got ${JSON.stringify(v)}`;
      }
      return v;
    },
    fromFlag: num,
  },
  logEvery: { flag: "log-every", kind: "string", check: intIn(0, 1e9), fromFlag: num },
  checkpointMinutes: {
    flag: "checkpoint-minutes",
    kind: "string",
    check: numIn(0, 1e6),
    fromFlag: num,
  },
};

const KEYS = Object.keys(FIELDS) as Key[];

/** Fields that `--resume` may change; the rest are fixed by the run's saved config. */
export const RESUME_OVERRIDABLE: readonly Key[] = [
  "epochs",
  "patience",
  "backend",
  "prefetch",
  "logEvery",
  "checkpointMinutes",
];

/**
 * Keys added after the first release: a run saved before them resumes with their defaults
 * (which reproduce the old behaviour).
 */
const ADDED_LATER: readonly Key[] = [
  "weights",
  "weightsSha256",
  "schedule",
  "unfreeze",
  "backboneLrMult",
  "logEvery",
  "checkpointMinutes",
];

/**
 * Checks a partial config from an untrusted source (a JSON file). Unknown keys and bad values
 * throw a TypeError naming the source and the key.
 */
export function parseConfigObject(value: unknown, source: string): Partial<TrainConfig> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${source}: must be a JSON object`);
  }
  const out: Partial<Record<Key, unknown>> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!(KEYS as string[]).includes(k)) {
      throw new TypeError(
        `${source}: unknown key '${k}' (known keys: ${KEYS.join(", ")})`,
      );
    }
    out[k as Key] = checkField(k as Key, v, `${source}: key '${k}'`);
  }
  return out as Partial<TrainConfig>;
}

function checkField(key: Key, v: unknown, where: string): unknown {
  try {
    return FIELDS[key].check(v);
  } catch (why) {
    if (typeof why === "string") throw new TypeError(`${where} ${why}`);
    throw why;
  }
}

/** Reads and checks a `--config` JSON file; errors name the file. */
export async function loadConfigFile(path: string): Promise<Partial<TrainConfig>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new Error(`config file ${path}: cannot read (${(err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TypeError(`config file ${path}: invalid JSON (${(err as Error).message})`);
  }
  return parseConfigObject(json, `config file ${path}`);
}

/** What the command line asked for, before merging with defaults and the config file. */
export interface ParsedArgs {
  /** Only the fields given as flags. */
  flags: Partial<TrainConfig>;
  config: string | null;
  resume: string | null;
  help: boolean;
}

/**
 * Parses `deno task train` flags. Unknown flags, missing values and bad values throw a TypeError
 * naming the flag. `--workers` is accepted as an alias of `--prefetch`.
 */
export function parseTrainArgs(argv: readonly string[]): ParsedArgs {
  const options: Record<string, { type: "string" | "boolean" }> = {
    config: { type: "string" },
    resume: { type: "string" },
    help: { type: "boolean" },
    workers: { type: "string" },
  };
  for (const key of KEYS) options[FIELDS[key].flag] = { type: FIELDS[key].kind };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  } catch (err) {
    // node's messages already quote the flag ("Unknown option '--foo'")
    throw new TypeError(`train: ${(err as Error).message}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.workers !== undefined) {
    if (values.prefetch !== undefined) {
      throw new TypeError("train: give only one of --workers and --prefetch (they are aliases)");
    }
    values.prefetch = values.workers;
  }
  const flags: Partial<Record<Key, unknown>> = {};
  for (const key of KEYS) {
    const f = FIELDS[key];
    const raw = values[f.flag];
    if (raw === undefined) continue;
    const v = typeof raw === "string" && f.fromFlag ? f.fromFlag(raw) : raw;
    flags[key] = checkField(key, v, `train: --${f.flag}`);
  }
  return {
    flags: flags as Partial<TrainConfig>,
    config: (values.config as string | undefined) ?? null,
    resume: (values.resume as string | undefined) ?? null,
    help: values.help === true,
  };
}

/** Defaults < config file < flags, each layer overriding only the keys it names. */
export function mergeConfig(
  file: Partial<TrainConfig>,
  flags: Partial<TrainConfig>,
  defaults: Readonly<TrainConfig> = DEFAULT_CONFIG,
): TrainConfig {
  return { ...defaults, ...file, ...flags };
}

/** Total epochs of a `--schedule` text (already validated). */
export function scheduleEpochs(schedule: string): number {
  return parseSchedule(schedule).reduce((n, s) => n + s.epochs, 0);
}

/**
 * Defaults that depend on other fields, for the keys the user did not give (`given`): with
 * `weights`, the `pretrained` augmentation recipe (ImageNet mean/std follow from the weights
 * anyway, see trainer `normalizationFor`); with a `schedule`, its total as `epochs`.
 */
export function deriveDefaults(config: TrainConfig, given: ReadonlySet<string>): TrainConfig {
  const out = { ...config };
  if (out.weights !== null && !given.has("augment")) out.augment = "pretrained";
  if (out.schedule !== null && !given.has("epochs")) out.epochs = scheduleEpochs(out.schedule);
  return out;
}

/**
 * Checks rules that span fields; throws a TypeError naming the flags at fault. `train` calls it
 * too, so a config built in code obeys the same rules as one from the command line.
 */
export function checkConfig(config: TrainConfig): void {
  const archs = PRETRAINED_ARCHS as readonly string[];
  if (config.weights !== null && !archs.includes(config.arch)) {
    throw new TypeError(
      `train: --weights needs --arch ${archs.join(" or ")} (the architectures with pretrained ` +
        `weights), got --arch ${config.arch}`,
    );
  }
  if (config.weightsSha256 !== null && config.weights === null) {
    throw new TypeError("train: --weights-sha256 needs --weights");
  }
  if (config.freezeBackbone && config.unfreeze !== "all") {
    throw new TypeError(
      `train: --unfreeze ${config.unfreeze} contradicts --freeze-backbone (use --schedule ` +
        `head:E1,finetune:E2 to train the head first, then unfreeze)`,
    );
  }
  if (config.schedule !== null) {
    if (config.freezeBackbone) {
      throw new TypeError(
        "train: --freeze-backbone cannot be used with --schedule (its head stage freezes the " +
          "backbone, its finetune stage follows --unfreeze)",
      );
    }
    const total = scheduleEpochs(config.schedule);
    if (config.epochs !== total) {
      throw new TypeError(
        `train: --epochs ${config.epochs} disagrees with --schedule ${config.schedule} ` +
          `(${total} epochs); leave --epochs out or make them agree`,
      );
    }
  }
}

/** `20250131-142501_simple_cnn`: sortable, unique enough for one user. */
export function defaultRunName(arch: Arch, now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${
    p(now.getHours())
  }${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${stamp}_${arch}`;
}

/** The usage text for `--help`, generated from the same table that parses the flags. */
export function usage(): string {
  const lines = [
    "usage: deno task train [flags]",
    "",
    "  --config <file.json>   config file (keys as in runs/<name>/config.json)",
    "  --resume <runDir>      continue a run from its last checkpoint",
    "  --workers <n>          alias of --prefetch",
  ];
  for (const key of KEYS) {
    const f = FIELDS[key];
    const d = DEFAULT_CONFIG[key];
    const left = f.kind === "boolean" ? `--${f.flag}` : `--${f.flag} <v>`;
    lines.push(`  ${left.padEnd(22)} default ${JSON.stringify(d)}`);
  }
  lines.push(
    "",
    "Precedence: defaults < --config file < flags.",
    "Transfer learning: --weights <file.safetensors|url> (resnet18, efficientnet_b0) makes",
    "--augment default to pretrained and normalises with ImageNet mean/std; --schedule",
    "head:E1,finetune:E2 trains the head on a frozen backbone, then what --unfreeze says",
    "(last:N or all) with backbone variables at --lr times --backbone-lr-mult.",
  );
  return lines.join("\n");
}

/** What `resolveConfig` decided. */
export interface ResolvedConfig {
  config: TrainConfig;
  /** The run folder given with `--resume`, or null for a fresh run. */
  resume: string | null;
  help: boolean;
}

/**
 * Resolves the full config from the command line. For `--resume <runDir>` the run's saved
 * `config.json` is the base and only `RESUME_OVERRIDABLE` flags may change it.
 */
export async function resolveConfig(
  argv: readonly string[],
  now: Date = new Date(),
): Promise<ResolvedConfig> {
  const args = parseTrainArgs(argv);
  if (args.help) return { config: { ...DEFAULT_CONFIG }, resume: null, help: true };
  if (args.resume !== null) {
    if (args.config !== null) {
      throw new TypeError("train: --config cannot be used with --resume (the run has its config)");
    }
    for (const key of Object.keys(args.flags) as Key[]) {
      if (!RESUME_OVERRIDABLE.includes(key)) {
        throw new TypeError(
          `train: --${FIELDS[key].flag} cannot change when resuming; only ${
            RESUME_OVERRIDABLE.map((k) => "--" + FIELDS[k].flag).join(", ")
          } can`,
        );
      }
    }
    const saved = await loadConfigFile(`${args.resume}/config.json`);
    const missing = KEYS.filter((k) => !(k in saved) && !ADDED_LATER.includes(k));
    if (missing.length > 0) {
      throw new TypeError(
        `config file ${args.resume}/config.json: missing key '${missing[0]}' for --resume`,
      );
    }
    const config = mergeConfig(saved, args.flags);
    checkConfig(config);
    return { config, resume: args.resume, help: false };
  }
  const file = args.config !== null ? await loadConfigFile(args.config) : {};
  const given = new Set([...Object.keys(file), ...Object.keys(args.flags)]);
  const config = deriveDefaults(mergeConfig(file, args.flags), given);
  checkConfig(config);
  if (config.name === null) config.name = defaultRunName(config.arch, now);
  return { config, resume: null, help: false };
}
