import type { Tensor } from '@trm/tensor';

/**
 * RMS norm over the last axis without a learned scale (spec §3):
 * `x · rsqrt(mean(x², -1) + eps)`.
 */
export function rmsNorm(x: Tensor, eps: number): Tensor {
  return x.mul(x.square().mean(-1, true).add(eps).rsqrt());
}
