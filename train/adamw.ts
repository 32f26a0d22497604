import * as tf from "@tensorflow/tfjs";
import { adamwUpdate } from "./adamw_update.ts";

/** `{name, tensor}` as tfjs optimizers exchange weights (not re-exported by the tfjs bundle). */
type NamedTensor = { name: string; tensor: tf.Tensor };

/** AdamW hyper-parameters; defaults are PyTorch's `torch.optim.AdamW` ones except the decay. */
export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay coefficient (PyTorch default 1e-2; our training default is 1e-4). */
  weightDecay?: number;
  /**
   * Which variables get weight decay. Default: rank >= 2 (conv / dense kernels), so biases and
   * BatchNorm gamma/beta (rank 1) are not pulled towards zero, which would only fight the
   * normalisation; this is the usual "no decay on norm and bias" recipe.
   */
  decays?: (variable: tf.Variable) => boolean;
  /**
   * Per-variable learning-rate factor (default 1 for all): the variable is updated, and decayed,
   * with `learningRate * lrScale(variable)`, exactly like a `torch.optim.AdamW` parameter group
   * whose `lr` is scaled by that factor. Fine-tuning uses it to move a pretrained backbone more
   * slowly than the new head. (Scaling the gradient instead would do almost nothing: Adam's
   * update `m / sqrt(v)` is invariant to the gradient's scale.)
   */
  lrScale?: (variable: tf.Variable) => number;
}

/** One variable's optimizer state, as stored in a checkpoint. */
export interface AdamWSlotState {
  /** Updates applied to this variable so far (PyTorch keeps a step per parameter too). */
  step: number;
  /** First moment, same element count as the variable. */
  m: Float32Array;
  /** Second moment. */
  v: Float32Array;
}

interface Slot {
  step: number;
  m: tf.Variable;
  v: tf.Variable;
}

/** The default `decays` rule: only kernels (rank >= 2). */
export function decaysKernelsOnly(variable: tf.Variable): boolean {
  return variable.rank >= 2;
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter), step for step the update of
 * `torch.optim.AdamW` (amsgrad off):
 *
 *   p <- p * (1 - lr * wd)           (only where `decays(p)`; lr = learningRate * lrScale(p))
 *   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
 *   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *
 * tfjs has no AdamW, and its Adam keys state by gradient position and keeps `b^t` as a float32
 * running product; here the state is keyed by variable name, bias corrections are computed in
 * float64 from the step count, and the whole state can be exported and restored for `--resume`.
 * `learningRate` may be changed between steps (the LR schedule does so every epoch).
 */
export class AdamW extends tf.Optimizer {
  /** Name used by tfjs serialization. */
  static get className(): string {
    return "AdamW";
  }

  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly #decays: (variable: tf.Variable) => boolean;
  readonly #lrScale: ((variable: tf.Variable) => number) | null;
  readonly #slots = new Map<string, Slot>();

  constructor(opts: AdamWOptions) {
    super();
    this.learningRate = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 1e-2;
    this.#decays = opts.decays ?? decaysKernelsOnly;
    this.#lrScale = opts.lrScale ?? null;
    if (!(this.learningRate > 0)) throw new RangeError(`AdamW: lr must be > 0, got ${opts.lr}`);
    for (const [name, b] of [["beta1", this.beta1], ["beta2", this.beta2]] as const) {
      if (!(b >= 0 && b < 1)) throw new RangeError(`AdamW: ${name} must be in [0, 1), got ${b}`);
    }
    if (!(this.weightDecay >= 0)) {
      throw new RangeError(`AdamW: weightDecay must be >= 0, got ${this.weightDecay}`);
    }
  }

  /** Applies one update to every named variable that has a gradient. */
  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: [string, tf.Tensor | null][] = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    for (const [name, grad] of entries) {
      if (grad == null) continue;
      const variable = tf.engine().registeredVariables[name];
      if (variable === undefined) throw new Error(`AdamW: no variable named '${name}'`);
      const slot = this.#slot(name, variable);
      slot.step++;
      const lr = this.#lrFor(variable);
      const bc1 = 1 - this.beta1 ** slot.step;
      const bc2Sqrt = Math.sqrt(1 - this.beta2 ** slot.step);
      const decay = this.weightDecay > 0 && this.#decays(variable);
      tf.tidy(() => {
        // One fused kernel on wasm+SIMD, the same op chain (bit for bit) elsewhere.
        const [p, m, v] = adamwUpdate(variable, grad, slot.m, slot.v, {
          decay: decay ? 1 - lr * this.weightDecay : 1,
          beta1: this.beta1,
          oneMinusBeta1: 1 - this.beta1,
          beta2: this.beta2,
          oneMinusBeta2: 1 - this.beta2,
          bc2Sqrt,
          eps: this.eps,
          stepSize: lr / bc1,
        });
        slot.m.assign(m);
        slot.v.assign(v);
        variable.assign(p);
      });
    }
    this.incrementIterations();
  }

  /** The learning rate of `variable` this step: `learningRate` times its `lrScale`. */
  #lrFor(variable: tf.Variable): number {
    if (this.#lrScale === null) return this.learningRate;
    const scale = this.#lrScale(variable);
    if (!(scale > 0) || !Number.isFinite(scale)) {
      throw new RangeError(`AdamW: lrScale of '${variable.name}' must be > 0, got ${scale}`);
    }
    return this.learningRate * scale;
  }

  #slot(name: string, variable: tf.Variable): Slot {
    let slot = this.#slots.get(name);
    if (slot === undefined) {
      // tidy frees the zeros tensors; the variables survive it
      slot = tf.tidy(() => ({
        step: 0,
        m: tf.variable(tf.zerosLike(variable), false),
        v: tf.variable(tf.zerosLike(variable), false),
      }));
      this.#slots.set(name, slot);
    }
    return slot;
  }

  /**
   * The state of `variables`, in that order (a variable not updated yet has
   * step 0 and zero moments). Checkpoints store it by position, because tfjs variable names
   * carry per-process counters and differ between a run and its resume.
   */
  exportState(variables: readonly tf.Variable[]): AdamWSlotState[] {
    return variables.map((variable) => {
      const slot = this.#slots.get(variable.name);
      if (slot === undefined) {
        return {
          step: 0,
          m: new Float32Array(variable.size),
          v: new Float32Array(variable.size),
        };
      }
      return {
        step: slot.step,
        m: slot.m.dataSync() as Float32Array,
        v: slot.v.dataSync() as Float32Array,
      };
    });
  }

  /** Restores state saved by `exportState` for the same variables in the same order. */
  importState(variables: readonly tf.Variable[], states: readonly AdamWSlotState[]): void {
    if (variables.length !== states.length) {
      throw new RangeError(
        `AdamW: state has ${states.length} entries for ${variables.length} variables`,
      );
    }
    variables.forEach((variable, i) => {
      const s = states[i];
      if (s.m.length !== variable.size || s.v.length !== variable.size) {
        throw new RangeError(
          `AdamW: state ${i} has ${s.m.length} values for variable '${variable.name}' of ${variable.size}`,
        );
      }
      const slot = this.#slot(variable.name, variable);
      slot.step = s.step;
      tf.tidy(() => {
        slot.m.assign(tf.tensor(s.m, variable.shape, "float32"));
        slot.v.assign(tf.tensor(s.v, variable.shape, "float32"));
      });
    });
    this.iterations_ = Math.max(0, ...states.map((s) => s.step));
  }

  /** tfjs optimizer API: iterations, then `<name>/m` and `<name>/v` for each slot. */
  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()];
    for (const [name, slot] of this.#slots) {
      out.push({ name: `${name}/m`, tensor: slot.m }, { name: `${name}/v`, tensor: slot.v });
    }
    return out;
  }

  /** Inverse of `getWeights` (slot steps are set to the saved iteration count). */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    for (const { name, tensor } of rest) {
      const base = name.replace(/\/[mv]$/, "");
      const variable = tf.engine().registeredVariables[base];
      if (variable === undefined) throw new Error(`AdamW: no variable named '${base}'`);
      const slot = this.#slot(base, variable);
      slot.step = this.iterations_;
      (name.endsWith("/m") ? slot.m : slot.v).assign(tensor);
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      weightDecay: this.weightDecay,
    };
  }

  override dispose(): void {
    for (const slot of this.#slots.values()) {
      slot.m.dispose();
      slot.v.dispose();
    }
    this.#slots.clear();
  }
}
