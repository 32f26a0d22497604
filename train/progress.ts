import cliProgress from "cli-progress";
import process from "node:process";

/** The writable that cli-progress draws on (node stream subset). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

/** Options for one epoch's progress display. */
export interface EpochProgressOptions {
  /** 1-based epoch number and total, for the label. */
  epoch: number;
  epochs: number;
  /** Batches in this epoch (the bar's total). */
  batches: number;
  /** Defaults to stderr, so stdout stays clean for logs and pipes. */
  stream?: ProgressStream;
  /** Clock in ms, injectable for tests. */
  now?: () => number;
}

/** `1234.5` -> "1235"; below 10 keeps one decimal so slow backends still show a rate. */
export function formatRate(imagesPerSecond: number): string {
  if (!Number.isFinite(imagesPerSecond) || imagesPerSecond <= 0) return "-";
  return imagesPerSecond < 10 ? imagesPerSecond.toFixed(1) : Math.round(imagesPerSecond).toString();
}

/** Seconds as `m:ss` (or `h:mm:ss`), "-" when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "-";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = h > 0 ? String(m).padStart(2, "0") : String(m);
  return `${h > 0 ? `${h}:` : ""}${mm}:${String(r).padStart(2, "0")}`;
}

/**
 * A progress bar for one training epoch with batch count, img/s, running loss and ETA, drawn with
 * npm `cli-progress` on a TTY. Without a TTY (CI, logs piped to a file) it draws nothing: the
 * trainer prints one summary line per epoch instead, so logs stay one line per epoch.
 */
export class EpochProgress {
  readonly isTty: boolean;
  readonly #bar: cliProgress.SingleBar | null;
  readonly #now: () => number;
  readonly #start: number;
  readonly #batches: number;
  #images = 0;
  #done = 0;

  constructor(opts: EpochProgressOptions) {
    const stream = opts.stream ?? (process.stderr as unknown as ProgressStream);
    this.isTty = stream.isTTY === true;
    this.#now = opts.now ?? (() => performance.now());
    this.#start = this.#now();
    this.#batches = opts.batches;
    if (!this.isTty) {
      this.#bar = null;
      return;
    }
    this.#bar = new cliProgress.SingleBar({
      stream: stream as unknown as NodeJS.WritableStream,
      format: `epoch ${opts.epoch}/${opts.epochs} [{bar}] {value}/{total} | {ips} img/s | ` +
        `loss {loss} | ETA {etaText}`,
      barsize: 24,
      hideCursor: false,
      clearOnComplete: true,
      stopOnComplete: false,
      etaBuffer: 20,
    }, cliProgress.Presets.shades_classic);
    this.#bar.start(opts.batches, 0, { ips: "-", loss: "-", etaText: "-" });
  }

  /** Records one finished batch of `images` samples with its mean `loss`. */
  tick(images: number, loss: number): void {
    this.#images += images;
    this.#done++;
    if (this.#bar === null) return;
    const seconds = (this.#now() - this.#start) / 1000;
    const eta = this.#done === 0 ? NaN : seconds / this.#done * (this.#batches - this.#done);
    this.#bar.update(this.#done, {
      ips: formatRate(this.#images / seconds),
      loss: loss.toFixed(4),
      etaText: formatDuration(eta),
    });
  }

  /** Images per second over the epoch so far. */
  get imagesPerSecond(): number {
    return this.#images / Math.max(1e-9, (this.#now() - this.#start) / 1000);
  }

  /** Removes the bar (TTY); safe to call twice. */
  stop(): void {
    this.#bar?.stop();
  }
}
