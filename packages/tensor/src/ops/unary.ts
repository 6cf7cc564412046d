/** Unary elementwise ops and their gradients. */
import { record } from '../autograd/tape.js';
import { type DType, scalarBits, wgslType } from '../dtype.js';
import { UNARY_EXPR } from '../kernels/unary.js';
import { fuse } from '../lazy/fusion.js';
import { storageFor, type Tensor } from '../tensor.js';
import { assertDType, empty } from './util.js';

type UnaryName = keyof typeof UNARY_EXPR;
const F32: readonly DType[] = ['f32'];
const NUM: readonly DType[] = ['f32', 'i32'];

/**
 * A catalogue unary op (no autograd), as a pending expression: it runs fused with the
 * elementwise ops around it (see lazy/fusion.ts). @internal
 */
export function mapUnary(name: UnaryName, x: Tensor, s = 0, outDType?: DType): Tensor {
  x.assertLive();
  const dtype = outDType ?? x.dtype;
  const out = empty(x.shape, dtype, x.device);
  if (out.size === 0) return out;
  const expr: string = UNARY_EXPR[name];
  const tin = wgslType(x.dtype);
  fuse(
    storageFor(out),
    out.size,
    {
      expr,
      tin,
      tout: wgslType(dtype),
      boolOut: false,
      scalarBits: USES_SCALAR.test(expr) ? scalarBits(s, x.dtype) : null,
    },
    [{ storage: storageFor(x), size: x.size, type: tin }],
  );
  return out;
}

const USES_SCALAR = /\bs\b/;

function op(
  name: UnaryName,
  x: Tensor,
  allowed: readonly DType[],
  grad?: (g: Tensor, x: Tensor, y: Tensor) => Tensor,
  s = 0,
): Tensor {
  assertDType(name, x, allowed);
  const y = mapUnary(name, x, s);
  if (grad) record(y, name, [x], (g) => [grad(g, x, y)]);
  return y;
}

export const neg = (x: Tensor) => op('neg', x, NUM, (g) => mapUnary('neg', g));
export const exp = (x: Tensor) => op('exp', x, F32, (g, _x, y) => g.mul(y));
export const log = (x: Tensor) => op('log', x, F32, (g, x) => g.div(x));
/** d√x = 1 / (2√x) */
export const sqrt = (x: Tensor) => op('sqrt', x, F32, (g, _x, y) => g.div(y).mul(0.5));
/** d x^-½ = -½ x^-3/2 = -½ y³ */
export const rsqrt = (x: Tensor) =>
  op('rsqrt', x, F32, (g, _x, y) => g.mul(y.mul(y).mul(y)).mul(-0.5));
export const square = (x: Tensor) => op('square', x, NUM, (g, x) => g.mul(x).mul(2));
export const abs = (x: Tensor) => op('abs', x, NUM, (g, x) => g.mul(mapUnary('sign', x)));
/** The gradient of sign is zero almost everywhere. */
export const sign = (x: Tensor) => op('sign', x, NUM, (g) => g.mul(0));
export const sigmoid = (x: Tensor) =>
  op('sigmoid', x, F32, (g, _x, y) => g.mul(y.mul(rsubScalar(y, 1))));
/** silu = x·σ(x); d = σ(x)·(1 + x·(1 − σ(x))) */
export const silu = (x: Tensor) =>
  op('silu', x, F32, (g, x) => {
    const s = mapUnary('sigmoid', x);
    return g.mul(s.mul(x.mul(rsubScalar(s, 1)).add(1)));
  });
export const tanh = (x: Tensor) => op('tanh', x, F32, (g, _x, y) => g.mul(rsubScalar(y.mul(y), 1)));
export const relu = (x: Tensor) => op('relu', x, NUM, (g, x) => g.mul(x.gt(0).cast(g.dtype)));
export const sin = (x: Tensor) => op('sin', x, F32, (g, x) => g.mul(mapUnary('cos', x)));
export const cos = (x: Tensor) => op('cos', x, F32, (g, x) => g.mul(mapUnary('sin', x)).neg());
export const reciprocal = (x: Tensor) =>
  op('reciprocal', x, F32, (g, _x, y) => g.mul(y.mul(y)).neg());

/** Logical not of a bool tensor. */
export function logicalNot(x: Tensor): Tensor {
  assertDType('logicalNot', x, ['bool']);
  return mapUnary('logicalNot', x);
}

// Ops with a scalar operand (used by the binary ops when one side is a number).

export function addScalar(x: Tensor, s: number): Tensor {
  return op('addScalar', x, NUM, (g) => g.clone(), s);
}
export function subScalar(x: Tensor, s: number): Tensor {
  return op('subScalar', x, NUM, (g) => g.clone(), s);
}
export function rsubScalar(x: Tensor, s: number): Tensor {
  return op('rsubScalar', x, NUM, (g) => g.neg(), s);
}
export function mulScalar(x: Tensor, s: number): Tensor {
  return op('mulScalar', x, NUM, (g) => g.mul(s), s);
}
export function divScalar(x: Tensor, s: number): Tensor {
  return op('divScalar', x, NUM, (g) => g.div(s), s);
}
/** `s / x`; d = −s/x² = −y/x */
export function rdivScalar(x: Tensor, s: number): Tensor {
  return op('rdivScalar', x, F32, (g, x, y) => g.mul(y).div(x).neg(), s);
}
/** `x ** s`; d = s·x^(s−1) */
export function powScalar(x: Tensor, s: number): Tensor {
  if (s === 2) return square(x);
  return op('powScalar', x, F32, (g, x) => g.mul(powScalar(x, s - 1)).mul(s), s);
}
export function maxScalar(x: Tensor, s: number): Tensor {
  return op('maxScalar', x, NUM, (g, x) => g.mul(x.ge(s).cast(g.dtype)), s);
}
export function minScalar(x: Tensor, s: number): Tensor {
  return op('minScalar', x, NUM, (g, x) => g.mul(x.le(s).cast(g.dtype)), s);
}
