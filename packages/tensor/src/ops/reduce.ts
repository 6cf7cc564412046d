/** Reductions along axes (sum, mean, max, min, argmax, argmin) and their gradients. */
import { record } from '../autograd/tape.js';
import { encodeReduce, type ReduceOp } from '../kernels/reduce.js';
import { bufferOf, type Tensor } from '../tensor.js';
import { mapBinary, where } from './binary.js';
import { arange } from './creation.js';
import { broadcastTo, copyOf, viewAs } from './shape.js';
import { assertDType, empty, normAxis, shapeSize } from './util.js';

/** Reduces one axis with a catalogue kernel (no autograd); keeps the axis as size 1. @internal */
export function reduceAxis(op: ReduceOp, x: Tensor, axis: number): Tensor {
  const outer = shapeSize(x.shape.slice(0, axis));
  const r = x.shape[axis]!;
  const inner = shapeSize(x.shape.slice(axis + 1));
  const shape = x.shape.map((d, i) => (i === axis ? 1 : d));
  const dtype = op === 'argmax' || op === 'argmin' ? 'i32' : x.dtype;
  const out = empty(shape, dtype, x.device);
  encodeReduce(x.device, op, x.dtype === 'i32' ? 'i32' : 'f32', bufferOf(x), bufferOf(out), {
    outer,
    r,
    inner,
  });
  return out;
}

function axesOf(op: string, x: Tensor, axis: number | readonly number[] | undefined): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const axes = [...new Set(list.map((a) => normAxis(op, a, x.rank)))];
  return axes.sort((a, b) => a - b);
}

function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function finalShape(shape: readonly number[], axes: readonly number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, axes) : shape.filter((_, i) => !axes.includes(i));
}

function sumOrMean(
  op: 'sum' | 'mean',
  x: Tensor,
  axis: number | readonly number[] | undefined,
  keepdim: boolean,
): Tensor {
  assertDType(op, x, op === 'sum' ? ['f32', 'i32'] : ['f32']);
  const axes = axesOf(op, x, axis);
  let acc: Tensor = x;
  for (const a of axes) {
    const next = reduceAxis(op, acc, a);
    if (acc !== x) acc.dispose();
    acc = next;
  }
  const base = acc === x ? copyOf(x) : acc;
  const out = viewAs(base, finalShape(x.shape, axes, keepdim));
  base.dispose(); // the view keeps the storage alive
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
  record(out, op, [x], (g) => {
    const spread = broadcastTo(viewAs(g, keptShape(x.shape, axes)), x.shape);
    return [op === 'mean' ? spread.div(count) : spread];
  });
  return out;
}

/** Sum over `axis` (a number, a list, or all axes when omitted). */
export function sum(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  return sumOrMean('sum', x, axis, keepdim);
}

/** Mean over `axis` (a number, a list, or all axes when omitted); f32 only. */
export function mean(x: Tensor, axis?: number | readonly number[], keepdim = false): Tensor {
  return sumOrMean('mean', x, axis, keepdim);
}

function extreme(op: 'max' | 'min', x: Tensor, axis: number | undefined, keepdim: boolean): Tensor {
  assertDType(op, x, ['f32', 'i32']);
  if (axis === undefined) {
    const flat = viewAs(x, [x.size]);
    const out = extreme(op, flat, 0, false);
    flat.dispose();
    const result = viewAs(out, keepdim ? x.shape.map(() => 1) : []);
    out.dispose();
    record(result, op, [x], (g) => [oneHotGrad(op, x, undefined, g)]);
    return result;
  }
  const a = normAxis(op, axis, x.rank);
  const kept = reduceAxis(op, x, a);
  const out = viewAs(kept, finalShape(x.shape, [a], keepdim));
  kept.dispose();
  record(out, op, [x], (g) => [oneHotGrad(op, x, a, g)]);
  return out;
}

/** The gradient of max/min: `g` at the first extreme index of each row, 0 elsewhere. */
function oneHotGrad(op: 'max' | 'min', x: Tensor, axis: number | undefined, g: Tensor): Tensor {
  if (axis === undefined) {
    const flat = viewAs(x, [x.size]);
    return viewAs(oneHotGrad(op, flat, 0, viewAs(g, [])), x.shape);
  }
  const index = reduceAxis(op === 'max' ? 'argmax' : 'argmin', x, axis);
  const positions = viewAs(
    arange(x.shape[axis]!, undefined, 1, { device: x.device }),
    x.shape.map((d, i) => (i === axis ? d : 1)),
  );
  const mask = mapBinary('eq', positions, index);
  return where(mask, viewAs(g, keptShape(x.shape, [axis])), 0);
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
  assertDType(op, x, ['f32', 'i32']);
  if (axis === undefined) {
    const flat = viewAs(x, [x.size]);
    const out = reduceAxis(op, flat, 0);
    flat.dispose();
    const result = viewAs(out, keepdim ? x.shape.map(() => 1) : []);
    out.dispose();
    return result;
  }
  const a = normAxis(op, axis, x.rank);
  const kept = reduceAxis(op, x, a);
  if (keepdim) return kept;
  const out = viewAs(kept, finalShape(x.shape, [a], false));
  kept.dispose();
  return out;
}

/** Index (i32) of the first maximum along `axis`, or into the flattened tensor when omitted. */
export function argmax(x: Tensor, axis?: number, keepdim = false): Tensor {
  return argExtreme('argmax', x, axis, keepdim);
}

/** Index (i32) of the first minimum along `axis`, or into the flattened tensor when omitted. */
export function argmin(x: Tensor, axis?: number, keepdim = false): Tensor {
  return argExtreme('argmin', x, axis, keepdim);
}
