/** Dtype conversions, as unary kernels with different input and output types. */
import type { DType } from '../dtype.js';
import { wgslType } from '../dtype.js';

/**
 * The WGSL expression converting element `a` from one dtype to another: f32 → i32 truncates
 * toward zero (saturating), anything → bool is `a != 0`, bool → number is 0 or 1.
 */
export function castExpr(from: DType, to: DType): string {
  if (from === to) return 'a';
  if (to === 'bool') return `select(0u, 1u, a != ${wgslType(from)}(0))`;
  return `${to}(a)`;
}
