/**
 * The primitive set: the few ops that own a kernel and a gradient rule. Every other op of the
 * package is a composite of these (or a custom op with its own gradient), so its gradient
 * follows from the chain rule through the table in `autograd/gradients.ts`, which is the only
 * place a primitive's derivative is written.
 */
import { record } from '../autograd/tape.js';
import type { DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';

/** An operand of a primitive: a tensor, or a number that travels as a kernel parameter. */
export type Arg = Tensor | number;

/**
 * Each primitive and the attributes its gradient rule needs besides its operands. The
 * elementwise ones take tensors or numbers; the rest take tensors.
 */
export interface PrimAttrs {
  // unary, elementwise (f32)
  exp: null;
  log: null;
  sqrt: null;
  recip: null;
  sin: null;
  cos: null;
  tanh: null;
  /** Zero gradient almost everywhere; recorded so `sign(x)` still connects to the tape. */
  sign: null;
  // binary, elementwise with broadcasting
  add: null;
  mul: null;
  div: null;
  /** At ties the gradient goes to the first operand. */
  maximum: null;
  pow: null;
  atan2: null;
  /** `[cond, a, b]`: `cond ? a : b`; `cond` (bool) gets no gradient. */
  where: null;
  cast: { from: DType };
  // reductions over the listed axes, which are kept with size 1
  sum: { axes: readonly number[] };
  /** Over one axis; the gradient goes to the first maximum. */
  max: { axis: number };
  // movement
  /** A view with another shape (no copy). */
  reshape: null;
  permute: { dims: readonly number[] };
  /** Broadcast to a larger shape (a copy). */
  expand: null;
  /** The box `bounds[d] = [start, end)` of each dimension. */
  shrink: { bounds: readonly (readonly [number, number])[] };
  /** `widths[d] = [before, after]`, filled with `value`. */
  pad: { widths: readonly (readonly [number, number])[]; value: number };
  concat: { axis: number };
  copy: null;
  // indexing
  gather: { ids: Tensor };
  scatterAddRows: { ids: Tensor };
}

/** The name of a primitive. */
export type PrimName = keyof PrimAttrs;

/** What a gradient rule is given besides the output's gradient. */
export interface RuleContext<P extends PrimName> {
  /** The primitive's operands, in order. */
  readonly args: readonly Arg[];
  /** The primitive's output (rules such as exp's reuse it). */
  readonly out: Tensor;
  readonly attrs: PrimAttrs[P];
  /** Whether operand `i` is a tensor that requires grad: the rule may skip the others. */
  readonly needs: readonly boolean[];
}

/**
 * A vector–Jacobian product: the gradient of each operand (by position; `null` for numbers
 * and operands that need none) from the gradient `g` of the output, written in primitives.
 */
export type Rule<P extends PrimName> = (
  g: Tensor,
  ctx: RuleContext<P>,
) => readonly (Tensor | null)[];

/** One rule per primitive. */
export type RuleTable = { readonly [P in PrimName]: Rule<P> };

let rules: RuleTable | null = null;

/**
 * Makes `table` the rules of the primitives' backward functions. The autograd engine installs
 * `autograd/gradients.ts` when it loads; the primitives cannot import the table themselves,
 * since its rules are written in primitives. @internal
 */
export function installRules(table: RuleTable): void {
  rules = table;
}

/**
 * Records primitive `prim` with operands `args` on the tape (when recording is on and a tensor
 * operand requires grad), its backward function being the table's rule. Returns `out`.
 */
export function recordPrim<P extends PrimName>(
  out: Tensor,
  prim: P,
  args: readonly Arg[],
  attrs: PrimAttrs[P],
): Tensor {
  const inputs = args.filter((a): a is Tensor => typeof a !== 'number');
  return record(out, prim, inputs, (g) => {
    const rule = rules?.[prim] as Rule<P> | undefined;
    if (!rule) throw new Error(`internal: no gradient rule installed for the primitive ${prim}.`);
    const needs = args.map((a) => typeof a !== 'number' && a.requiresGrad);
    const grads = rule(g, { args, out, attrs, needs });
    const result: (Tensor | null)[] = [];
    args.forEach((a, i) => {
      if (typeof a !== 'number') result.push(needs[i] ? (grads[i] ?? null) : null);
    });
    return result;
  });
}
