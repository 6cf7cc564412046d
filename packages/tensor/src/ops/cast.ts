import { record } from '../autograd/tape.js';
import { type DType, isDType, wgslType } from '../dtype.js';
import { DTypeError } from '../errors.js';
import { castExpr } from '../kernels/cast.js';
import { encodeUnary } from '../kernels/unary.js';
import { bufferOf, type Tensor } from '../tensor.js';
import { empty } from './util.js';

/**
 * Converts to `dtype` (always a new tensor). f32 → i32 truncates toward zero, saturating;
 * anything → bool is `x != 0`; bool → numbers gives 0/1. Only f32 → f32 carries a gradient.
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  x.assertLive();
  if (!isDType(dtype)) throw new DTypeError(`cast: unknown dtype ${JSON.stringify(dtype)}.`);
  const out = empty(x.shape, dtype, x.device);
  encodeUnary(x.device, castExpr(x.dtype, dtype), bufferOf(x), bufferOf(out), x.size, {
    tin: wgslType(x.dtype),
    tout: wgslType(dtype),
  });
  if (x.dtype === 'f32' && dtype === 'f32') record(out, 'cast', [x], (g) => [g.clone()]);
  return out;
}
