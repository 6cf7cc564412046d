import { record } from '../autograd/tape.js';
import { type DType, isDType, wgslType } from '../dtype.js';
import { DTypeError } from '../errors.js';
import { castExpr } from '../kernels/cast.js';
import { fuse } from '../lazy/fusion.js';
import { storageFor, type Tensor } from '../tensor.js';
import { empty } from './util.js';

/**
 * Converts to `dtype` (always a new tensor). f32 → i32 truncates toward zero, saturating;
 * anything → bool is `x != 0`; bool → numbers gives 0/1. Only f32 → f32 carries a gradient.
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  x.assertLive();
  if (!isDType(dtype)) throw new DTypeError(`cast: unknown dtype ${JSON.stringify(dtype)}.`);
  const out = empty(x.shape, dtype, x.device);
  if (out.size > 0) {
    const tin = wgslType(x.dtype);
    fuse(
      storageFor(out),
      out.size,
      {
        expr: castExpr(x.dtype, dtype),
        tin,
        tout: wgslType(dtype),
        boolOut: false,
        scalarBits: null,
      },
      [{ storage: storageFor(x), size: x.size, type: tin }],
    );
  }
  if (x.dtype === 'f32' && dtype === 'f32') record(out, 'cast', [x], (g) => [g.clone()]);
  return out;
}
