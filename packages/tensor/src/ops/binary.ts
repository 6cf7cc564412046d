/** Broadcasting binary ops, comparisons, logical ops and `where`, with gradients. */
import { adopt, record } from '../autograd/tape.js';
import { type DType, wgslType } from '../dtype.js';
import { TensorError } from '../errors.js';
import { BINARY_EXPR, encodeBroadcast } from '../kernels/binary.js';
import { WHERE_EXPR } from '../kernels/where.js';
import { fuse } from '../lazy/fusion.js';
import { bufferOf, storageFor, type Tensor } from '../tensor.js';
import { full } from './creation.js';
import { sumToShape } from './shape.js';
import * as un from './unary.js';
import {
  assertDType,
  assertSameDevice,
  assertSameDType,
  broadcastShapes,
  broadcastStrides,
  empty,
} from './util.js';

type BinaryName = keyof typeof BINARY_EXPR;
const COMPARISONS = new Set<BinaryName>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);
const LOGICAL = new Set<BinaryName>(['logicalAnd', 'logicalOr', 'logicalXor']);

/** Runs a catalogue binary kernel with broadcasting (no autograd). @internal */
export function mapBinary(name: BinaryName, a: Tensor, b: Tensor): Tensor {
  const device = assertSameDevice(name, [a, b]);
  assertSameDType(name, [a, b]);
  const boolOut = COMPARISONS.has(name) || LOGICAL.has(name);
  const dtype: DType = boolOut ? 'bool' : a.dtype;
  // Contiguous operands of one shape (or one of them a single element) need no index
  // arithmetic: the op becomes a pending expression, fused with its neighbours.
  const flatShape = sameShape(a.shape, b.shape)
    ? a.shape
    : b.size === 1 && a.rank >= b.rank
      ? a.shape
      : a.size === 1 && b.rank >= a.rank
        ? b.shape
        : null;
  if (flatShape) {
    const out = empty(flatShape, dtype, device);
    if (out.size === 0) return out;
    const type = wgslType(a.dtype);
    fuse(
      storageFor(out),
      out.size,
      { expr: BINARY_EXPR[name], tin: type, tout: wgslType(dtype), boolOut, scalarBits: null },
      [a, b].map((t) => ({ storage: storageFor(t), size: t.size, type })),
    );
    return out;
  }
  const shape = broadcastShapes(name, a.shape, b.shape);
  const out = empty(shape, dtype, device);
  encodeBroadcast(
    device,
    BINARY_EXPR[name],
    [a, b].map((t) => ({
      buffer: bufferOf(t),
      size: t.size,
      type: wgslType(t.dtype),
      strides: broadcastStrides(t.shape, shape),
    })),
    { buffer: bufferOf(out), type: wgslType(dtype), boolOut },
    shape,
  );
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function arith(
  name: BinaryName,
  a: Tensor,
  b: Tensor,
  allowed: readonly DType[],
  grad?: (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null],
): Tensor {
  assertSameDevice(name, [a, b]);
  assertSameDType(name, [a, b]);
  assertDType(name, a, allowed);
  const y = mapBinary(name, a, b);
  if (grad) {
    record(y, name, [a, b], (g) => {
      const [ga, gb] = grad(g, a, b, y);
      return [
        ga && a.requiresGrad ? sumToShape(ga, a.shape) : null,
        gb && b.requiresGrad ? sumToShape(gb, b.shape) : null,
      ];
    });
  }
  return y;
}

const NUM: readonly DType[] = ['f32', 'i32'];
const F32: readonly DType[] = ['f32'];

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
  return arith('add', x, y, NUM, (g) => [g, g]);
}

/** `a - b` with broadcasting. */
export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return un.subScalar(a, b);
  if (typeof a === 'number' && typeof b !== 'number') return un.rsubScalar(b, a);
  const [x, y] = operands('sub', a, b);
  return arith('sub', x, y, NUM, (g) => [g, un.neg(g)]);
}

/** `a * b` with broadcasting. */
export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return un.mulScalar(a, b);
  if (typeof a === 'number' && typeof b !== 'number') return un.mulScalar(b, a);
  const [x, y] = operands('mul', a, b);
  return arith('mul', x, y, NUM, (g, a, b) => [mapBinary('mul', g, b), mapBinary('mul', g, a)]);
}

/** `a / b` with broadcasting (i32: truncating division). */
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return un.divScalar(a, b);
  if (typeof a === 'number' && typeof b !== 'number') return un.rdivScalar(b, a);
  const [x, y] = operands('div', a, b);
  // d(a/b)/db = −a/b² = −y/b
  return arith('div', x, y, NUM, (g, _a, b, y) => [
    mapBinary('div', g, b),
    un.neg(mapBinary('div', mapBinary('mul', g, y), b)),
  ]);
}

/** Elementwise maximum; at ties the gradient goes to `a`. */
export function maximum(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return un.maxScalar(a, b);
  if (typeof a === 'number' && typeof b !== 'number') return un.maxScalar(b, a);
  const [x, y] = operands('maximum', a, b);
  return arith('maximum', x, y, NUM, (g, a, b) => {
    const pick = mapBinary('ge', a, b);
    return [where(pick, g, 0), where(pick, 0, g)];
  });
}

/** Elementwise minimum; at ties the gradient goes to `a`. */
export function minimum(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return un.minScalar(a, b);
  if (typeof a === 'number' && typeof b !== 'number') return un.minScalar(b, a);
  const [x, y] = operands('minimum', a, b);
  return arith('minimum', x, y, NUM, (g, a, b) => {
    const pick = mapBinary('le', a, b);
    return [where(pick, g, 0), where(pick, 0, g)];
  });
}

/** Four-quadrant `atan2(a, b)` (angle of the point (b, a)). */
export function atan2(a: Tensor | number, b: Tensor | number): Tensor {
  const [x, y] = operands('atan2', a, b);
  // d/da = b/(a²+b²), d/db = −a/(a²+b²)
  const out = arith('atan2', x, y, F32, (g, a, b) => {
    const r2 = mapBinary('add', mapBinary('mul', a, a), mapBinary('mul', b, b));
    const gr = mapBinary('div', g, r2);
    return [mapBinary('mul', gr, b), un.neg(mapBinary('mul', gr, a))];
  });
  return adoptLifted(out, a, b, x, y);
}

/** `a ** b`; with a number exponent this is `powScalar`. Tensor exponents need `a > 0` for the gradient of `b`. */
export function pow(a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return un.powScalar(a, b);
  const [x, y] = operands('pow', a, b);
  // d/da = b·a^(b−1) = b·y/a, d/db = ln(a)·y
  const out = arith('pow', x, y, F32, (g, a, b, y) => [
    mapBinary('mul', g, mapBinary('div', mapBinary('mul', b, y), a)),
    mapBinary('mul', g, mapBinary('mul', un.log(a), y)),
  ]);
  return adoptLifted(out, a, b, x, y);
}

function compare(name: BinaryName, a: Tensor | number, b: Tensor | number): Tensor {
  const [x, y] = operands(name, a, b);
  try {
    assertDType(name, x, NUM);
    return mapBinary(name, x, y);
  } finally {
    if (typeof a === 'number') x.dispose();
    if (typeof b === 'number') y.dispose();
  }
}

/** Elementwise `a == b` → bool. */
export const eq = (a: Tensor | number, b: Tensor | number) => compare('eq', a, b);
export const ne = (a: Tensor | number, b: Tensor | number) => compare('ne', a, b);
export const lt = (a: Tensor | number, b: Tensor | number) => compare('lt', a, b);
export const le = (a: Tensor | number, b: Tensor | number) => compare('le', a, b);
export const gt = (a: Tensor | number, b: Tensor | number) => compare('gt', a, b);
export const ge = (a: Tensor | number, b: Tensor | number) => compare('ge', a, b);

function logical(name: BinaryName, a: Tensor, b: Tensor): Tensor {
  assertDType(name, a, ['bool']);
  assertDType(name, b, ['bool']);
  return mapBinary(name, a, b);
}
export const logicalAnd = (a: Tensor, b: Tensor) => logical('logicalAnd', a, b);
export const logicalOr = (a: Tensor, b: Tensor) => logical('logicalOr', a, b);
export const logicalXor = (a: Tensor, b: Tensor) => logical('logicalXor', a, b);

/**
 * `cond ? a : b` elementwise with broadcasting of all three; `cond` is bool, `a` and `b`
 * share a dtype (a number takes the other's dtype, f32 when both are numbers).
 */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  assertDType('where', cond, ['bool']);
  const like = typeof a !== 'number' ? a : typeof b !== 'number' ? b : null;
  const mk = (v: number) =>
    full([], v, { dtype: like?.dtype ?? 'f32', device: like?.device ?? cond.device });
  const x = typeof a === 'number' ? mk(a) : a;
  const y = typeof b === 'number' ? mk(b) : b;
  const device = assertSameDevice('where', [cond, x, y]);
  assertSameDType('where', [x, y]);
  const shape = broadcastShapes('where', cond.shape, x.shape, y.shape);
  const out = empty(shape, x.dtype, device);
  encodeBroadcast(
    device,
    WHERE_EXPR,
    [cond, x, y].map((t) => ({
      buffer: bufferOf(t),
      size: t.size,
      type: wgslType(t.dtype),
      strides: broadcastStrides(t.shape, shape),
    })),
    { buffer: bufferOf(out), type: wgslType(x.dtype) },
    shape,
  );
  record(out, 'where', [x, y], (g) => [
    x.requiresGrad ? sumToShape(where(cond, g, 0), x.shape) : null,
    y.requiresGrad ? sumToShape(where(cond, 0, g), y.shape) : null,
  ]);
  // Number operands never need their values in backward: free them now.
  if (typeof a === 'number') x.dispose();
  if (typeof b === 'number') y.dispose();
  return out;
}
