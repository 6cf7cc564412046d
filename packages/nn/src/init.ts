import { type Generator, type Tensor, truncNormal, zeros } from '@trm/tensor';

/**
 * Parameter initialisers of the TRM reference (spec §2). `truncNormalInit(shape, std)` is the
 * JAX/Flax truncated normal on ±2σ rescaled so the samples' actual standard deviation is
 * `std` (not PyTorch's `trunc_normal_`, whose std is smaller).
 */
export function truncNormalInit(
  shape: readonly number[],
  std: number,
  generator: Generator,
): Tensor {
  if (std === 0) return zeros(shape);
  return truncNormal(shape, std, generator);
}

/** `1/√fanIn`, the std the reference gives linear weights of shape `[out, in]`. */
export function lecunStd(fanIn: number): number {
  return 1 / Math.sqrt(fanIn);
}
