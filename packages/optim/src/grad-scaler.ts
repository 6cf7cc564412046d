import { customOp, type Tensor, zeros } from '@trm/tensor';
import { UNSCALE_WGSL } from './kernels.js';

/** Options of {@link GradScaler}; the defaults are PyTorch's `GradScaler`'s. */
export interface GradScalerOptions {
  /** The first scale (default 2^16). */
  initScale?: number;
  /** Multiplies the scale after {@link GradScalerOptions.growthInterval} clean steps (default 2). */
  growthFactor?: number;
  /** Multiplies the scale after an overflow (default 0.5). */
  backoffFactor?: number;
  /** Clean steps before the scale grows (default 2000). */
  growthInterval?: number;
}

/** What {@link GradScaler.state} saves: enough to continue a run exactly. */
export interface GradScalerState {
  scale: number;
  cleanSteps: number;
}

/**
 * Dynamic loss scaling, for training whose activations and gradients are f16 (PyTorch's
 * `GradScaler`): multiply the loss by {@link GradScaler.scale} before `backward()`, so that
 * small gradients do not underflow f16; then {@link GradScaler.unscale} divides every gradient
 * by it in place and tells whether all of them are finite. On an overflow the caller skips the
 * optimiser step; {@link GradScaler.update} then halves the scale, and doubles it after every
 * `growthInterval` clean steps.
 *
 * @example
 * ```ts
 * const scaler = new GradScaler();
 * (await model.step(carry, batch, { backward: true, lossScale: scaler.scale / B }));
 * const finite = await scaler.unscale(model.parameters().map((p) => p.grad!));
 * if (finite) adam.step(lr);
 * scaler.update(finite);
 * model.zeroGrad();
 * ```
 */
export class GradScaler {
  /** The factor the loss is multiplied by before `backward()`. */
  scale: number;
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;
  private cleanSteps = 0;

  constructor(options: GradScalerOptions = {}) {
    this.scale = options.initScale ?? 2 ** 16;
    this.growthFactor = options.growthFactor ?? 2;
    this.backoffFactor = options.backoffFactor ?? 0.5;
    this.growthInterval = options.growthInterval ?? 2000;
    const bad = [
      ['initScale', this.scale, this.scale > 0 && Number.isFinite(this.scale)],
      ['growthFactor', this.growthFactor, this.growthFactor > 1],
      ['backoffFactor', this.backoffFactor, this.backoffFactor > 0 && this.backoffFactor < 1],
      [
        'growthInterval',
        this.growthInterval,
        Number.isInteger(this.growthInterval) && this.growthInterval >= 1,
      ],
    ].find(([, , ok]) => !ok);
    if (bad) throw new RangeError(`GradScaler: ${bad[0]} cannot be ${bad[1]}.`);
  }

  /**
   * Divides every gradient by {@link GradScaler.scale}, in place, and resolves to whether all
   * of their elements are finite (one small read-back). Null entries are skipped.
   */
  async unscale(grads: readonly (Tensor | null | undefined)[]): Promise<boolean> {
    const present = grads.filter((g): g is Tensor => g != null && g.size > 0);
    if (present.length === 0) return true;
    const flag = zeros([1], { dtype: 'i32', device: present[0]!.device });
    try {
      for (const g of present) {
        customOp({
          name: 'unscale',
          code: UNSCALE_WGSL,
          params: [1 / this.scale, { u32: g.size }],
          varyingParams: true,
          updates: [g, flag],
          threads: g.size,
        });
      }
      return (await flag.item()) === 0;
    } finally {
      flag.dispose();
    }
  }

  /** After a step: back off on an overflow (`finite` false), grow after enough clean steps. */
  update(finite: boolean): void {
    if (!finite) {
      this.scale *= this.backoffFactor;
      this.cleanSteps = 0;
      return;
    }
    this.cleanSteps += 1;
    if (this.cleanSteps >= this.growthInterval) {
      this.scale *= this.growthFactor;
      this.cleanSteps = 0;
    }
  }

  /** The scale and the clean-step count, for a checkpoint. */
  state(): GradScalerState {
    return { scale: this.scale, cleanSteps: this.cleanSteps };
  }

  /** Restores what {@link GradScaler.state} returned. */
  loadState(state: GradScalerState): void {
    if (!(state.scale > 0 && Number.isFinite(state.scale)))
      throw new RangeError(`GradScaler: saved scale ${state.scale} is not a positive number.`);
    if (!(Number.isInteger(state.cleanSteps) && state.cleanSteps >= 0))
      throw new RangeError(`GradScaler: saved clean-step count ${state.cleanSteps} is invalid.`);
    this.scale = state.scale;
    this.cleanSteps = state.cleanSteps;
  }
}
