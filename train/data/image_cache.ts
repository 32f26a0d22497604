import type { Image } from "../../shared/image.ts";

/**
 * Keeps decoded images in memory up to a byte budget. Once full it stops adding (no eviction):
 * training walks the whole dataset every epoch, so evicting would only churn.
 */
export class ImageCache {
  readonly budgetBytes: number;
  #images = new Map<number, Image>();
  #bytes = 0;

  constructor(budgetBytes: number) {
    if (!(budgetBytes >= 0)) throw new RangeError(`cache budget must be >= 0, got ${budgetBytes}`);
    this.budgetBytes = budgetBytes;
  }

  /** Bytes of pixels held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Number of images held. */
  get size(): number {
    return this.#images.size;
  }

  get(key: number): Image | undefined {
    return this.#images.get(key);
  }

  /** Stores `img` if it fits in the remaining budget; returns whether it was stored. */
  put(key: number, img: Image): boolean {
    if (this.#images.has(key)) return true;
    if (this.#bytes + img.data.length > this.budgetBytes) return false;
    this.#images.set(key, img);
    this.#bytes += img.data.length;
    return true;
  }
}
