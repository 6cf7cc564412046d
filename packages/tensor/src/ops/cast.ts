import { type DType, isDType } from '../dtype.js';
import { DTypeError } from '../errors.js';
import { cast as castPrim } from '../prims/elementwise.js';
import type { Tensor } from '../tensor.js';

/**
 * Converts to `dtype` (always a new tensor). f32 → i32 truncates toward zero, saturating;
 * anything → bool is `x != 0`; bool → numbers gives 0/1. Only f32 → f32 carries a gradient.
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  x.assertLive();
  if (!isDType(dtype)) throw new DTypeError(`cast: unknown dtype ${JSON.stringify(dtype)}.`);
  return castPrim(x, dtype);
}
