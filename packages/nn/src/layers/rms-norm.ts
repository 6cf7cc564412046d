import { rmsNorm as fusedRmsNorm, type Tensor } from '@trm/tensor';

/**
 * RMS norm over the last axis without a learned scale: `s · rsqrt(mean(s², -1) + eps)` with
 * `s = x`, or `s = x + residual` for the post-norm blocks (`rms(x + f(x))`), in one fused kernel.
 */
export function rmsNorm(x: Tensor, eps: number, residual?: Tensor): Tensor {
  return fusedRmsNorm(x, eps, residual);
}
