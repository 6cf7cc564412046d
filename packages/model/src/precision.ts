import type { TrmConfig } from './config.js';

/**
 * What a model computes in: `f32` throughout, or `f16` — matmuls (every linear layer, forward
 * and backward) with operands and results rounded to f16 and f32 accumulation, as
 * `torch.autocast(dtype=float16)` runs them, while weights, norms, attention, the loss and the
 * optimisers stay f32. Values are rounded, not stored narrower.
 */
export type ComputePrecision = 'f32' | 'f16';

/** The precision chosen for `forward_dtype` on a device, with the line to tell the user. */
export interface PrecisionChoice {
  precision: ComputePrecision;
  /** One line for the user when the choice is not what the name says; null when it is. */
  notice: string | null;
}

/**
 * The precision `forward_dtype` computes in on a device with `features`: `float32` in f32;
 * `float16` in f16 where the device has `shader-f16`; `bfloat16`, which WGSL has no type for,
 * in f16 as well (with a notice saying so). Without `shader-f16` both fall back to f32, with a
 * notice. Training in f16 needs dynamic loss scaling (`GradScaler` of `@trm/optim`).
 */
export function precisionFor(
  forwardDtype: TrmConfig['forward_dtype'],
  features: ReadonlySet<string>,
): PrecisionChoice {
  if (forwardDtype === 'float32') return { precision: 'f32', notice: null };
  if (!features.has('shader-f16')) {
    return {
      precision: 'f32',
      notice: `arch.forward_dtype ${forwardDtype}: this adapter has no shader-f16, so the model computes in float32.`,
    };
  }
  return {
    precision: 'f16',
    notice:
      forwardDtype === 'bfloat16'
        ? 'arch.forward_dtype bfloat16: WGSL has no bfloat16, so the matmuls compute in float16 (f32 weights and accumulation, dynamic loss scaling).'
        : null,
  };
}
