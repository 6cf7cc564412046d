/**
 * The elementwise primitives: unary math, binary arithmetic, comparisons, `where` and `cast`.
 * Each leaves a pending expression on its output, fused with its neighbours (broadcast operands
 * read through index maps, see `lazy/fusion.ts`). Operands are assumed valid (same device, dtypes the op accepts): the
 * public ops in `ops/` check them first.
 */
import { type DType, scalarBits, wgslType } from '../dtype.js';
import { BINARY_EXPR } from '../kernels/binary.js';
import { castExpr } from '../kernels/cast.js';
import { UNARY_EXPR } from '../kernels/unary.js';
import { WHERE_EXPR } from '../kernels/where.js';
import { fuse } from '../lazy/fusion.js';
import { indexMap } from '../lazy/index-map.js';
import { full } from '../ops/creation.js';
import { broadcastShapes, broadcastStrides, empty } from '../ops/util.js';
import { storageFor, type Tensor } from '../tensor.js';
import { type Arg, recordPrim } from './primitive.js';

/** Differentiable unary primitives (f32). */
export type UnaryPrim = 'exp' | 'log' | 'sqrt' | 'recip' | 'sin' | 'cos' | 'tanh' | 'sign';
/** Differentiable binary primitives. */
export type BinaryPrim = 'add' | 'mul' | 'div' | 'maximum' | 'pow' | 'atan2';
/** Binary primitives with a bool result (no gradient). */
export type BoolPrim =
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'logicalAnd'
  | 'logicalOr'
  | 'logicalXor';

/** `prim(x)` elementwise. */
export function unary(prim: UnaryPrim, x: Tensor): Tensor {
  const y = elementwise(prim, UNARY_EXPR[prim], [x], x.dtype, x.dtype, false);
  return x.dtype === 'f32' ? recordPrim(y, prim, [x], null) : y;
}

/** Logical not of a bool tensor (no gradient). */
export function logicalNot(x: Tensor): Tensor {
  return elementwise('logicalNot', UNARY_EXPR.logicalNot, [x], 'bool', 'bool', false);
}

/**
 * `prim(a, b)` elementwise with broadcasting; a number operand takes the other's dtype. `name`
 * is the op named in a broadcasting error (a composite passes its own).
 */
export function binary(prim: BinaryPrim, a: Arg, b: Arg, name: string = prim): Tensor {
  const dtype = dtypeOf([a, b]);
  const y = elementwise(name, BINARY_EXPR[prim], [a, b], dtype, dtype, false);
  return dtype === 'f32' ? recordPrim(y, prim, [a, b], null) : y;
}

/** A comparison or logical op: a bool tensor, no gradient. */
export function boolOp(prim: BoolPrim, a: Arg, b: Arg): Tensor {
  return elementwise(prim, BINARY_EXPR[prim], [a, b], dtypeOf([a, b]), 'bool', true);
}

/** `cond ? a : b` elementwise with broadcasting of all three; numbers take the other's dtype. */
export function where(cond: Tensor, a: Arg, b: Arg): Tensor {
  const dtype = typeof a === 'number' && typeof b === 'number' ? 'f32' : dtypeOf([a, b]);
  const y = elementwise('where', WHERE_EXPR, [cond, a, b], dtype, dtype, false);
  return dtype === 'f32' ? recordPrim(y, 'where', [cond, a, b], null) : y;
}

/** Converts to `dtype` (always a new tensor, see `ops/cast.ts` for the rules). */
export function cast(x: Tensor, dtype: DType): Tensor {
  const y = elementwise('cast', castExpr(x.dtype, dtype), [x], x.dtype, dtype, false);
  return x.dtype === 'f32' && dtype === 'f32' ? recordPrim(y, 'cast', [x], { from: x.dtype }) : y;
}

function dtypeOf(args: readonly Arg[]): DType {
  for (const a of args) if (typeof a !== 'number') return a.dtype;
  return 'f32';
}

const ARG_NAMES = ['a', 'b', 'c'] as const;

/**
 * Runs the WGSL expression `expr` (operands named `a`, `b`, `c` by position) over `args`,
 * broadcast together: `valueType` is the dtype that numbers take and the expression's `T`,
 * `dtype` the output's, and `name` the op a broadcasting error names. The output is pending
 * (see `lazy/fusion.ts`); a broadcast operand is read through an index map, not expanded.
 */
function elementwise(
  name: string,
  expr: string,
  args: readonly Arg[],
  valueType: DType,
  dtype: DType,
  boolOut: boolean,
): Tensor {
  const device = args.find((a): a is Tensor => typeof a !== 'number')!.device;
  // A number travels as the kernel's scalar parameter `s`, one per expression; further
  // numbers become one-element constant tensors.
  let scalar: number | null = null;
  const lifted: Tensor[] = [];
  const names = new Map<string, string>();
  const operands: Tensor[] = [];
  args.forEach((a, i) => {
    if (typeof a === 'number' && scalar === null) {
      scalar = a;
      names.set(ARG_NAMES[i]!, 's');
      return;
    }
    const t = typeof a === 'number' ? full([], a, { dtype: valueType, device }) : a;
    if (t !== a) lifted.push(t);
    names.set(ARG_NAMES[i]!, ARG_NAMES[operands.length]!);
    operands.push(t);
  });
  const code = expr.replace(/\b[abc]\b/g, (n) => names.get(n) ?? n);
  const shape = broadcastShapes(name, ...operands.map((t) => t.shape));
  const out = empty(shape, dtype, device);
  if (out.size > 0) {
    fuse(
      storageFor(out),
      out.size,
      {
        expr: code,
        tin: wgslType(valueType),
        tout: wgslType(dtype),
        boolOut,
        scalarBits: scalar === null ? null : scalarBits(scalar, valueType),
      },
      operands.map((t) => ({
        storage: storageFor(t),
        size: t.size,
        type: wgslType(t.dtype),
        map: t.size === 1 ? null : indexMap(shape, broadcastStrides(t.shape, shape)),
      })),
    );
  }
  for (const t of lifted) t.dispose();
  return out;
}
