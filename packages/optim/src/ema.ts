import { customOp, noGrad, type Tensor } from '@trm/tensor';
import { EMA_WGSL } from './kernels.js';
import { loadState, namedList, type Parameters, readState } from './params.js';

/**
 * Exponential moving average of the trainable parameters: a shadow copy initialised from the
 * parameters, updated after every optimiser step as `shadow = (1-μ)·p + μ·shadow`. Evaluation
 * and checkpoints read the shadow; training never sees it.
 */
export class Ema {
  private readonly params: [string, Tensor][];
  /** The shadow of each parameter, by name. */
  private readonly shadow = new Map<string, Tensor>();

  constructor(
    params: Parameters,
    readonly rate = 0.999,
  ) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`Ema: rate must be in [0, 1], got ${rate}`);
    this.params = namedList(params, 'Ema');
    noGrad(() => {
      for (const [name, p] of this.params) this.shadow.set(name, p.detach().clone().keep());
    });
  }

  /** Folds the current parameter values into the shadow. */
  update(): void {
    for (const [name, p] of this.params) {
      customOp({
        name: 'Ema',
        code: EMA_WGSL,
        params: [this.rate, 1 - this.rate, { u32: p.size }],
        inputs: [p],
        updates: [this.shadow.get(name)!],
        threads: p.size,
      });
    }
  }

  /**
   * Copies the shadow into tensors of the same names (for example the parameters of a separate
   * evaluation model); names without a shadow are an error.
   */
  copyTo(targets: Parameters): void {
    for (const [name, t] of namedList(targets, 'Ema.copyTo')) {
      const shadow = this.shadow.get(name);
      if (!shadow) {
        throw new Error(
          `Ema.copyTo: no shadow for parameter "${name}"; the EMA tracks ${[...this.shadow.keys()].join(', ')}`,
        );
      }
      t.assign(shadow);
    }
  }

  /** The shadow weights per parameter name, read back to the host. */
  stateDict(): Promise<Record<string, Float32Array>> {
    return readState(this.shadow);
  }

  /** Restores a saved shadow. */
  loadStateDict(shadow: Record<string, Float32Array>): void {
    loadState(this.shadow, shadow, 'Ema');
  }

  /** Frees the shadow. */
  dispose(): void {
    for (const t of this.shadow.values()) t.dispose();
  }
}
