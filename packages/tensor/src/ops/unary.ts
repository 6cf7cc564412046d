/**
 * Unary elementwise ops: the primitives (exp, log, sqrt, reciprocal, sin, cos, tanh, sign) with
 * their dtype rules, and composites written in primitives, whose gradients follow from the
 * gradient table (`autograd/gradients.ts`).
 */
import { composite, noGrad } from '../autograd/tape.js';
import type { DType } from '../dtype.js';
import { binary, boolOp, logicalNot as notPrim, unary, where } from '../prims/elementwise.js';
import type { Tensor } from '../tensor.js';
import { assertDType } from './util.js';

const F32: readonly DType[] = ['f32'];
const NUM: readonly DType[] = ['f32', 'i32'];

function checked(name: string, x: Tensor, allowed: readonly DType[]): Tensor {
  x.assertLive();
  assertDType(name, x, allowed);
  return x;
}

export const exp = (x: Tensor) => unary('exp', checked('exp', x, F32));
export const log = (x: Tensor) => unary('log', checked('log', x, F32));
export const sqrt = (x: Tensor) => unary('sqrt', checked('sqrt', x, F32));
export const reciprocal = (x: Tensor) => unary('recip', checked('reciprocal', x, F32));
export const sin = (x: Tensor) => unary('sin', checked('sin', x, F32));
export const cos = (x: Tensor) => unary('cos', checked('cos', x, F32));
export const tanh = (x: Tensor) => unary('tanh', checked('tanh', x, F32));
/** −1, 0 or 1; its gradient is zero. */
export const sign = (x: Tensor) => unary('sign', checked('sign', x, NUM));

/** `−x`: `x · −1`, exact. */
export const neg = (x: Tensor) => binary('mul', checked('neg', x, NUM), -1);
/** `1 / √x` */
export const rsqrt = (x: Tensor) => {
  checked('rsqrt', x, F32);
  return composite(() => unary('recip', unary('sqrt', x)));
};
export const square = (x: Tensor) => {
  checked('square', x, NUM);
  return binary('mul', x, x);
};
/** `x · sign(x)`, with `sign(x)` off the tape: its derivative is zero, so d|x| = sign(x). */
export const abs = (x: Tensor) => {
  checked('abs', x, NUM);
  return composite(() =>
    binary(
      'mul',
      x,
      noGrad(() => unary('sign', x)),
    ),
  );
};
/** `max(0, x)`: at 0 the gradient is 0, as in PyTorch. */
export const relu = (x: Tensor) => binary('maximum', 0, checked('relu', x, NUM));

/**
 * `1 / (1 + e^−x)` for x ≥ 0 and `e^x / (1 + e^x)` below: neither branch's exponential can
 * overflow, so no branch (selected or not) puts an infinity into the gradient.
 */
export const sigmoid = (x: Tensor) => {
  checked('sigmoid', x, F32);
  return composite(() => sigmoidOf(x));
};

function sigmoidOf(x: Tensor): Tensor {
  const ePos = unary('exp', binary('mul', binary('maximum', x, 0), -1));
  const positive = unary('recip', binary('add', ePos, 1));
  const eNeg = unary('exp', minScalarPrim(x, 0));
  const negative = binary('div', eNeg, binary('add', eNeg, 1));
  return where(boolOp('ge', x, 0), positive, negative);
}

/** `x · σ(x)` */
export const silu = (x: Tensor) => {
  checked('silu', x, F32);
  return composite(() => binary('mul', x, sigmoidOf(x)));
};

/** Logical not of a bool tensor. */
export function logicalNot(x: Tensor): Tensor {
  return notPrim(checked('logicalNot', x, ['bool']));
}

// Ops with a number operand (the binary ops take this path when one side is a number): the
// number travels as a kernel parameter, so a new value compiles no new kernel.

export function addScalar(x: Tensor, s: number): Tensor {
  return binary('add', checked('addScalar', x, NUM), s);
}
/** `x − s`: `x + (−s)`, exact. */
export function subScalar(x: Tensor, s: number): Tensor {
  return binary('add', checked('subScalar', x, NUM), -s);
}
/** `s − x`: `(−x) + s`, exact. */
export function rsubScalar(x: Tensor, s: number): Tensor {
  checked('rsubScalar', x, NUM);
  return composite(() => binary('add', binary('mul', x, -1), s));
}
export function mulScalar(x: Tensor, s: number): Tensor {
  return binary('mul', checked('mulScalar', x, NUM), s);
}
export function divScalar(x: Tensor, s: number): Tensor {
  return binary('div', checked('divScalar', x, NUM), s);
}
/** `s / x` */
export function rdivScalar(x: Tensor, s: number): Tensor {
  return binary('div', s, checked('rdivScalar', x, F32));
}
/** `x ** s` (`x · x` for s = 2). */
export function powScalar(x: Tensor, s: number): Tensor {
  if (s === 2) return square(x);
  return binary('pow', checked('powScalar', x, F32), s);
}
export function maxScalar(x: Tensor, s: number): Tensor {
  return binary('maximum', checked('maxScalar', x, NUM), s);
}
export function minScalar(x: Tensor, s: number): Tensor {
  checked('minScalar', x, NUM);
  return composite(() => minScalarPrim(x, s));
}

/** `min(x, s) = −max(−x, −s)`: at ties the gradient goes to `x`. */
function minScalarPrim(x: Tensor, s: number): Tensor {
  return binary('mul', binary('maximum', binary('mul', x, -1), -s), -1);
}
