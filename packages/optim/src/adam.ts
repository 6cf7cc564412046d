import { customOp, type KernelParam, noGrad, type Tensor, zerosLike } from '@trm/tensor';
import { ADAM_ATAN2_WGSL, ADAMW_WGSL } from './kernels.js';
import { loadState, namedList, type Parameters, readState } from './params.js';

/** Hyper-parameters shared by {@link AdamATan2} and {@link AdamW} (reference defaults). */
export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  weightDecay?: number;
}

/** What {@link AdamATan2.stateDict} returns: enough to continue bit-for-bit. */
export interface AdamState {
  step: number;
  /** First and second moments per parameter name. */
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

abstract class FusedAdam {
  /** Steps taken so far; the next `step()` uses t = step + 1 in the bias corrections. */
  stepCount = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly weightDecay: number;
  private readonly params: [string, Tensor][];
  /** First and second moments, one tensor each per parameter, by name. */
  private readonly m = new Map<string, Tensor>();
  private readonly v = new Map<string, Tensor>();

  protected constructor(
    params: Parameters,
    options: AdamOptions,
    private readonly label: string,
    private readonly source: string,
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.95;
    this.weightDecay = options.weightDecay ?? 0.1;
    for (const [k, v] of [
      ['beta1', this.beta1],
      ['beta2', this.beta2],
    ] as const) {
      if (!(v >= 0 && v < 1)) throw new RangeError(`${label}: ${k} must be in [0, 1), got ${v}`);
    }
    if (!(this.weightDecay >= 0))
      throw new RangeError(`${label}: weightDecay must be ≥ 0, got ${this.weightDecay}`);
    this.params = namedList(params, label);
    noGrad(() => {
      for (const [name, p] of this.params) {
        this.m.set(name, zerosLike(p).keep());
        this.v.set(name, zerosLike(p).keep());
      }
    });
  }

  protected abstract extraScalars(): number[];

  /** The learning rate of the scheduled update (see {@link schedule}). */
  private lr = 0;

  /**
   * Applies one update at learning rate `lr` to every parameter that has a gradient (`.grad`);
   * the others are left alone. One fused kernel per parameter tensor; the step's scalars travel
   * as kernel parameters, so a step allocates nothing. The same as `schedule(lr)` then
   * `apply()`.
   */
  step(lr: number): void {
    this.schedule(lr);
    this.apply();
  }

  /**
   * The host half of a step: sets the learning rate of the next update and counts the step
   * (its bias corrections). A training step compiled with `compile()` calls this outside and
   * {@link apply} inside: a replay re-computes the kernels' scalars from this state.
   */
  schedule(lr: number): void {
    if (!Number.isFinite(lr))
      throw new RangeError(`${this.label}: learning rate must be finite, got ${lr}`);
    this.lr = lr;
    this.stepCount += 1;
  }

  /** The device half of a step: the update kernels, at the rate and step of {@link schedule}. */
  apply(): void {
    for (const [name, p] of this.params) {
      const grad = p.grad;
      if (!grad) continue;
      const size = p.size;
      customOp({
        name: this.label,
        code: this.source,
        // A function: read again before every replay of a compiled step.
        params: () => this.scalars(size),
        inputs: [grad],
        updates: [p, this.m.get(name)!, this.v.get(name)!],
        threads: size,
      });
    }
    // Start the step's kernels now rather than at the next read.
    this.params[0]?.[1].device.submit();
  }

  /** The kernel's scalars at the scheduled rate and step. */
  private scalars(size: number): KernelParam[] {
    const t = this.stepCount;
    const lr = this.lr;
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    return [
      1 - lr * this.weightDecay,
      lr / bc1,
      1 - this.beta1,
      1 - this.beta2,
      Math.sqrt(bc2),
      { u32: size },
      ...this.extraScalars(),
    ];
  }

  /** Reads the moments back (async) with the step count. */
  async stateDict(): Promise<AdamState> {
    return { step: this.stepCount, m: await readState(this.m), v: await readState(this.v) };
  }

  /** Restores what {@link stateDict} returned. */
  loadStateDict(state: AdamState): void {
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new Error(
        `${this.label}: saved step count must be a non-negative integer, got ${state.step}`,
      );
    }
    loadState(this.m, state.m, this.label);
    loadState(this.v, state.v, this.label);
    this.stepCount = state.step;
  }

  /** Frees the moments. */
  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/**
 * AdamATan2, the optimiser of the TRM reference: Adam whose update is `atan2(m̂, sqrt(v̂))`,
 * so it needs no epsilon and is bounded by π/2·lr, with decoupled weight decay. One fused
 * WGSL kernel per parameter tensor.
 *
 * @example
 * ```ts
 * const opt = new AdamATan2(model.namedParameters(), { weightDecay: 0.1 });
 * loss.backward();
 * opt.step(lr);
 * ```
 */
export class AdamATan2 extends FusedAdam {
  constructor(params: Parameters, options: AdamOptions = {}) {
    super(params, options, 'AdamATan2', ADAM_ATAN2_WGSL);
  }

  protected extraScalars(): number[] {
    return [];
  }
}

/** AdamW (PyTorch semantics, decoupled weight decay), as an alternative to {@link AdamATan2}. */
export class AdamW extends FusedAdam {
  readonly eps: number;

  constructor(params: Parameters, options: AdamOptions & { eps?: number } = {}) {
    super(params, options, 'AdamW', ADAMW_WGSL);
    this.eps = options.eps ?? 1e-8;
  }

  protected extraScalars(): number[] {
    return [this.eps, this.beta2];
  }
}
