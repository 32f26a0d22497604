/**
 * A small seeded PRNG (sfc32) whose whole state is four uint32 numbers, so a training run can
 * save and restore it for `--resume`. Not cryptographic.
 */
export class Rng {
  #s: Uint32Array;

  constructor(seed: number | readonly number[] = 0) {
    if (typeof seed === "number") {
      // splitmix32 expands one seed into a well-mixed 128-bit state
      let x = seed >>> 0;
      const next = () => {
        x = (x + 0x9e3779b9) >>> 0;
        let z = x;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
        return (z ^ (z >>> 16)) >>> 0;
      };
      this.#s = new Uint32Array([next(), next(), next(), next()]);
      for (let i = 0; i < 12; i++) this.nextUint32();
    } else {
      if (seed.length !== 4) throw new RangeError("Rng state must have 4 numbers");
      this.#s = new Uint32Array(seed);
    }
  }

  /** The full state; `new Rng(rng.state())` continues the same sequence. */
  state(): number[] {
    return Array.from(this.#s);
  }

  /** A uniform uint32. */
  nextUint32(): number {
    const s = this.#s;
    const t = (((s[0] + s[1]) >>> 0) + s[3]) >>> 0;
    s[3] = (s[3] + 1) >>> 0;
    s[0] = s[1] ^ (s[1] >>> 9);
    s[1] = (s[2] + (s[2] << 3)) >>> 0;
    s[2] = ((s[2] << 21) | (s[2] >>> 11)) >>> 0;
    s[2] = (s[2] + t) >>> 0;
    return t;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A uniform integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** A standard normal sample (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A new array with the elements of `xs` in a random order (Fisher-Yates). */
  shuffle<T>(xs: readonly T[]): T[] {
    const out = xs.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
