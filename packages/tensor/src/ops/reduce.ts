/**
 * Reductions along axes (sum, mean, max, min, argmax, argmin): validation and shapes over the
 * reduction primitives of `prims/reduce.ts`. `mean` and `min` are composites.
 */
import { composite } from '../autograd/tape.js';
import { binary } from '../prims/elementwise.js';
import { reshape } from '../prims/movement.js';
import * as prim from '../prims/reduce.js';
import type { Tensor } from '../tensor.js';
import { assertDType, normAxis } from './util.js';

function axesOf(op: string, x: Tensor, axis: number | readonly number[] | undefined): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const axes = [...new Set(list.map((a) => normAxis(op, a, x.rank)))];
  return axes.sort((a, b) => a - b);
}

/** `kept` (reduced axes of size 1) with the reduced axes dropped unless `keepdim`. */
function finish(kept: Tensor, axes: readonly number[], keepdim: boolean): Tensor {
  return keepdim
    ? kept
    : reshape(
        kept,
        kept.shape.filter((_, i) => !axes.includes(i)),
      );
}

/** Sum over `axis` (a number, a list, or all axes when omitted). */
export function sum(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  x.assertLive();
  assertDType('sum', x, ['f32', 'i32']);
  const axes = axesOf('sum', x, axis);
  return composite(() => finish(prim.sum(x, axes), axes, keepdim));
}

/** Mean over `axis` (a number, a list, or all axes when omitted); f32 only. The sum over the count. */
export function mean(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  x.assertLive();
  assertDType('mean', x, ['f32']);
  const axes = axesOf('mean', x, axis);
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
  return composite(() => binary('div', finish(prim.sum(x, axes), axes, keepdim), count));
}

function extreme(op: 'max' | 'min', x: Tensor, axis: number | undefined, keepdim: boolean): Tensor {
  x.assertLive();
  assertDType(op, x, ['f32', 'i32']);
  // min(x) = −max(−x): the gradient still goes to the first extreme
  const signed = (t: Tensor) => (op === 'min' ? binary('mul', t, -1) : t);
  if (axis === undefined) {
    return composite(() => {
      const m = prim.max(signed(reshape(x, [x.size])), 0);
      return signed(reshape(m, keepdim ? x.shape.map(() => 1) : []));
    });
  }
  const a = normAxis(op, axis, x.rank);
  return composite(() => signed(finish(prim.max(signed(x), a), [a], keepdim)));
}

/** Maximum over one axis (all elements when omitted); the gradient goes to the first maximum. */
export function max(x: Tensor, axis?: number, keepdim = false): Tensor {
  return extreme('max', x, axis, keepdim);
}

/** Minimum over one axis (all elements when omitted). */
export function min(x: Tensor, axis?: number, keepdim = false): Tensor {
  return extreme('min', x, axis, keepdim);
}

function argExtreme(
  op: 'argmax' | 'argmin',
  x: Tensor,
  axis: number | undefined,
  keepdim: boolean,
): Tensor {
  x.assertLive();
  assertDType(op, x, ['f32', 'i32']);
  if (axis === undefined) {
    return composite(() =>
      prim.argReduce(op, x.view([x.size]), 0).view(keepdim ? x.shape.map(() => 1) : []),
    );
  }
  const a = normAxis(op, axis, x.rank);
  if (keepdim) return prim.argReduce(op, x, a);
  return composite(() => {
    const kept = prim.argReduce(op, x, a);
    return kept.view(kept.shape.filter((_, i) => i !== a));
  });
}

/** Index (i32) of the first maximum along `axis`, or into the flattened tensor when omitted. */
export function argmax(x: Tensor, axis?: number, keepdim = false): Tensor {
  return argExtreme('argmax', x, axis, keepdim);
}

/** Index (i32) of the first minimum along `axis`, or into the flattened tensor when omitted. */
export function argmin(x: Tensor, axis?: number, keepdim = false): Tensor {
  return argExtreme('argmin', x, axis, keepdim);
}
