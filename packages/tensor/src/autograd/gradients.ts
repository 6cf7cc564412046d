/**
 * The gradient table: one vector–Jacobian product per primitive (`prims/primitive.ts`),
 * written in primitives. It is the only place the package writes a derivative of a built-in
 * op; composites (sub, neg, sigmoid, softmax, mean, …) get theirs through the chain rule, and
 * fused kernels (matmul, attention, RMS norm, SwiGLU, custom ops) carry their own.
 *
 * Rules run with recording off, inside a `tidy()`: temporaries they make are freed, and a
 * gradient nobody needs that is still a pending expression is never computed. Gradients of
 * broadcast operands are summed back to the operand's shape here.
 */
import { arange } from '../ops/creation.js';
import { binary, boolOp, cast, unary, where } from '../prims/elementwise.js';
import { gather, scatterAddRows } from '../prims/gather.js';
import { copy, expand, pad, permute, reshape, shrink } from '../prims/movement.js';
import type { Arg, RuleTable } from '../prims/primitive.js';
import { argReduce, sumToShape } from '../prims/reduce.js';
import type { Tensor } from '../tensor.js';

const add = (a: Arg, b: Arg) => binary('add', a, b);
const mul = (a: Arg, b: Arg) => binary('mul', a, b);
const div = (a: Arg, b: Arg) => binary('div', a, b);
const neg = (a: Tensor) => binary('mul', a, -1);

/** The gradient of operand `x` from one of the output's shape (none for a number). */
function unbroadcast(g: Tensor, x: Arg): Tensor | null {
  return typeof x === 'number' ? null : sumToShape(g, x.shape);
}

function tensorArg(x: Arg): Tensor {
  if (typeof x === 'number')
    throw new Error('internal: a primitive got a number where it takes a tensor.');
  return x;
}

/** `x ** n`: x·x for n = 2 and x for n = 1, where WGSL's pow is undefined for x < 0. */
function powNumber(x: Tensor, n: number): Tensor {
  if (n === 1) return x;
  return n === 2 ? mul(x, x) : binary('pow', x, n);
}

/** Every primitive's rule. `g` has the output's shape; `out` is the output. */
export const GRADIENTS: RuleTable = {
  exp: (g, { out }) => [mul(g, out)],
  log: (g, { args: [x] }) => [div(g, x!)],
  // d√x = 1 / (2√x)
  sqrt: (g, { out }) => [mul(div(g, out), 0.5)],
  // d(1/x) = −1/x² = −y²
  recip: (g, { out }) => [neg(mul(g, mul(out, out)))],
  sin: (g, { args: [x] }) => [mul(g, unary('cos', tensorArg(x!)))],
  cos: (g, { args: [x] }) => [neg(mul(g, unary('sin', tensorArg(x!))))],
  // d tanh = 1 − y²
  tanh: (g, { out }) => [mul(g, add(neg(mul(out, out)), 1))],
  // zero almost everywhere
  sign: (g) => [mul(g, 0)],

  add: (g, { args: [a, b] }) => [unbroadcast(g, a!), unbroadcast(g, b!)],
  mul: (g, { args: [a, b], needs }) => [
    needs[0] ? unbroadcast(mul(g, b!), a!) : null,
    needs[1] ? unbroadcast(mul(g, a!), b!) : null,
  ],
  // d(a/b)/db = −a/b² = −y/b
  div: (g, { args: [a, b], out, needs }) => [
    needs[0] ? unbroadcast(div(g, b!), a!) : null,
    needs[1] ? unbroadcast(neg(div(mul(g, out), b!)), b!) : null,
  ],
  maximum: (g, { args: [a, b], needs }) => {
    const pick = boolOp('ge', a!, b!);
    return [
      needs[0] ? unbroadcast(where(pick, g, 0), a!) : null,
      needs[1] ? unbroadcast(where(pick, 0, g), b!) : null,
    ];
  },
  // d/da = b·a^(b−1), d/db = ln(a)·a^b
  pow: (g, { args: [a, b], out, needs }) => [
    needs[0]
      ? unbroadcast(
          typeof b === 'number'
            ? mul(mul(g, powNumber(tensorArg(a!), b - 1)), b)
            : mul(g, div(mul(b!, out), a!)),
          a!,
        )
      : null,
    needs[1] ? unbroadcast(mul(g, mul(unary('log', tensorArg(a!)), out)), b!) : null,
  ],
  // d/da = b/(a²+b²), d/db = −a/(a²+b²)
  atan2: (g, { args: [a, b], needs }) => {
    const gr = div(g, add(mul(a!, a!), mul(b!, b!)));
    return [
      needs[0] ? unbroadcast(mul(gr, b!), a!) : null,
      needs[1] ? unbroadcast(neg(mul(gr, a!)), b!) : null,
    ];
  },
  where: (g, { args: [cond, a, b], needs }) => [
    null,
    needs[1] ? unbroadcast(where(tensorArg(cond!), g, 0), a!) : null,
    needs[2] ? unbroadcast(where(tensorArg(cond!), 0, g), b!) : null,
  ],
  cast: (g, { attrs }) => [cast(g, attrs.from)],

  sum: (g, { args: [x], attrs }) => [attrs.axes.length === 0 ? g : expand(g, tensorArg(x!).shape)],
  // all of g to the first maximum of each row
  max: (g, { args: [x], attrs: { axis } }) => {
    const t = tensorArg(x!);
    const index = argReduce('argmax', t, axis);
    const positions = reshape(
      arange(t.shape[axis]!, { device: t.device }),
      t.shape.map((d, i) => (i === axis ? d : 1)),
    );
    return [where(boolOp('eq', positions, index), g, 0)];
  },

  reshape: (g, { args: [x] }) => [reshape(g, tensorArg(x!).shape)],
  permute: (g, { attrs: { dims } }) => {
    const inverse = new Array<number>(dims.length);
    dims.forEach((a, i) => {
      inverse[a] = i;
    });
    return [permute(g, inverse)];
  },
  expand: (g, { args: [x] }) => [sumToShape(g, tensorArg(x!).shape)],
  shrink: (g, { args: [x], attrs: { bounds } }) => [
    pad(
      g,
      bounds.map(([s, e], d) => [s, tensorArg(x!).shape[d]! - e] as const),
      0,
    ),
  ],
  pad: (g, { args: [x], attrs: { widths } }) => [
    shrink(
      g,
      tensorArg(x!).shape.map((d, i) => {
        const before = widths[i]?.[0] ?? 0;
        return [before, before + d] as const;
      }),
    ),
  ],
  concat: (g, { args, attrs: { axis }, needs }) => {
    let start = 0;
    return args.map((x, i) => {
      const t = tensorArg(x);
      const bounds = g.shape.map((d, k) =>
        k === axis ? ([start, start + t.shape[axis]!] as const) : ([0, d] as const),
      );
      start += t.shape[axis]!;
      return needs[i] ? shrink(g, bounds) : null;
    });
  },
  copy: (g) => [copy(g)],

  gather: (g, { args: [table], attrs: { ids } }) => [
    scatterAddRows(ids, g, tensorArg(table!).shape[0]!),
  ],
  scatterAddRows: (g, { args: [rows], attrs: { ids } }) => [
    reshape(gather(g, ids), tensorArg(rows!).shape),
  ],
};
