/**
 * Binary elementwise ops with broadcasting, comparisons, logical ops and `where`: their
 * validation and dtype rules, over the primitives of `prims/elementwise.ts`. Subtraction and
 * the minimum are composites; every gradient comes from the gradient table.
 */
import { adopt, composite } from '../autograd/tape.js';
import type { DType } from '../dtype.js';
import { TensorError } from '../errors.js';
import {
  type BinaryPrim,
  type BoolPrim,
  binary,
  boolOp,
  where as wherePrim,
} from '../prims/elementwise.js';
import type { Tensor } from '../tensor.js';
import { full } from './creation.js';
import * as un from './unary.js';
import { assertDType, assertSameDevice, assertSameDType } from './util.js';

const NUM: readonly DType[] = ['f32', 'i32'];
const F32: readonly DType[] = ['f32'];

function checked(name: string, a: Tensor, b: Tensor, allowed: readonly DType[]): void {
  assertSameDevice(name, [a, b]);
  assertSameDType(name, [a, b]);
  assertDType(name, a, allowed);
}

function arith(
  name: string,
  prim: BinaryPrim,
  a: Tensor,
  b: Tensor,
  allowed: readonly DType[],
): Tensor {
  checked(name, a, b, allowed);
  return binary(prim, a, b, name);
}

/** A 0-d tensor for a number operand, matching the other operand's dtype and device. */
function lift(value: number, like: Tensor): Tensor {
  like.assertLive();
  return full([], value, {
    dtype: like.dtype === 'bool' ? 'f32' : like.dtype,
    device: like.device,
  });
}

function operands(name: string, a: Tensor | number, b: Tensor | number): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') {
    throw new TensorError(`${name}: at least one operand must be a tensor.`);
  }
  return [
    typeof a === 'number' ? lift(a, b as Tensor) : a,
    typeof b === 'number' ? lift(b, a as Tensor) : b,
  ];
}

/** Frees the tensors lifted from number operands once `out` no longer needs them. */
function adoptLifted(
  out: Tensor,
  a: Tensor | number,
  b: Tensor | number,
  x: Tensor,
  y: Tensor,
): Tensor {
  const lifted = [typeof a === 'number' ? x : null, typeof b === 'number' ? y : null];
  return adopt(
    out,
    lifted.filter((t): t is Tensor => t !== null),
  );
}

/** `a + b` with broadcasting. Numbers are allowed on either side. */
export function add(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return un.addScalar(a, b);
  if (typeof a === 'number' && typeof b !== 'number') return un.addScalar(b, a);
  const [x, y] = operands('add', a, b);
  return arith('add', 'add', x, y, NUM);
}

/** `a - b` with broadcasting: `a + (−b)`, exact. */
export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return un.subScalar(a, b);
  if (typeof a === 'number' && typeof b !== 'number') return un.rsubScalar(b, a);
  const [x, y] = operands('sub', a, b);
  checked('sub', x, y, NUM);
  return composite(() => binary('add', x, binary('mul', y, -1), 'sub'));
}

/** `a * b` with broadcasting. */
export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return un.mulScalar(a, b);
  if (typeof a === 'number' && typeof b !== 'number') return un.mulScalar(b, a);
  const [x, y] = operands('mul', a, b);
  return arith('mul', 'mul', x, y, NUM);
}

/** `a / b` with broadcasting (i32: truncating division). */
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return un.divScalar(a, b);
  if (typeof a === 'number' && typeof b !== 'number') return un.rdivScalar(b, a);
  const [x, y] = operands('div', a, b);
  return arith('div', 'div', x, y, NUM);
}

/** Elementwise maximum; at ties the gradient goes to `a`. */
export function maximum(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return un.maxScalar(a, b);
  if (typeof a === 'number' && typeof b !== 'number') return un.maxScalar(b, a);
  const [x, y] = operands('maximum', a, b);
  return arith('maximum', 'maximum', x, y, NUM);
}

/** Elementwise minimum, `−max(−a, −b)`; at ties the gradient goes to `a`. */
export function minimum(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return un.minScalar(a, b);
  if (typeof a === 'number' && typeof b !== 'number') return un.minScalar(b, a);
  const [x, y] = operands('minimum', a, b);
  checked('minimum', x, y, NUM);
  return composite(() =>
    binary('mul', binary('maximum', binary('mul', x, -1), binary('mul', y, -1), 'minimum'), -1),
  );
}

/** Four-quadrant `atan2(a, b)` (angle of the point (b, a)). */
export function atan2(a: Tensor | number, b: Tensor | number): Tensor {
  const [x, y] = operands('atan2', a, b);
  return adoptLifted(arith('atan2', 'atan2', x, y, F32), a, b, x, y);
}

/** `a ** b`; with a number exponent this is `powScalar`. Tensor exponents need `a > 0` for the gradient of `b`. */
export function pow(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return un.powScalar(a, b);
  const [x, y] = operands('pow', a, b);
  return adoptLifted(arith('pow', 'pow', x, y, F32), a, b, x, y);
}

function compare(name: BoolPrim, a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof a === 'number' && typeof b === 'number') {
    throw new TensorError(`${name}: at least one operand must be a tensor.`);
  }
  const t = (typeof a === 'number' ? b : a) as Tensor;
  t.assertLive();
  assertDType(name, t, NUM);
  if (typeof a !== 'number' && typeof b !== 'number') {
    assertSameDevice(name, [a, b]);
    assertSameDType(name, [a, b]);
  }
  return boolOp(name, a, b);
}

/** Elementwise `a == b` → bool. */
export const eq = (a: Tensor | number, b: Tensor | number) => compare('eq', a, b);
export const ne = (a: Tensor | number, b: Tensor | number) => compare('ne', a, b);
export const lt = (a: Tensor | number, b: Tensor | number) => compare('lt', a, b);
export const le = (a: Tensor | number, b: Tensor | number) => compare('le', a, b);
export const gt = (a: Tensor | number, b: Tensor | number) => compare('gt', a, b);
export const ge = (a: Tensor | number, b: Tensor | number) => compare('ge', a, b);

function logical(name: BoolPrim, a: Tensor, b: Tensor): Tensor {
  assertDType(name, a, ['bool']);
  assertDType(name, b, ['bool']);
  assertSameDevice(name, [a, b]);
  return boolOp(name, a, b);
}
export const logicalAnd = (a: Tensor, b: Tensor) => logical('logicalAnd', a, b);
export const logicalOr = (a: Tensor, b: Tensor) => logical('logicalOr', a, b);
export const logicalXor = (a: Tensor, b: Tensor) => logical('logicalXor', a, b);

/**
 * `cond ? a : b` elementwise with broadcasting of all three; `cond` is bool, `a` and `b`
 * share a dtype (a number takes the other's dtype, f32 when both are numbers).
 */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  cond.assertLive();
  assertDType('where', cond, ['bool']);
  const values = [a, b].filter((v): v is Tensor => typeof v !== 'number');
  assertSameDevice('where', [cond, ...values]);
  assertSameDType('where', values.length > 0 ? values : [cond]);
  return wherePrim(cond, a, b);
}
