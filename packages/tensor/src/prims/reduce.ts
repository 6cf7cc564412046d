/**
 * The reduction primitives: sums over axes and the maximum over one axis, keeping the reduced
 * axes with size 1, and the index reductions (argmax, argmin) that carry no gradient.
 */
import { adopt } from '../autograd/tape.js';
import { wgslType } from '../dtype.js';
import { encodeArgReduce } from '../kernels/reduce.js';
import { fuseReduce } from '../lazy/fusion.js';
import { empty, shapeSize } from '../ops/util.js';
import { bufferOf, storageFor, type Tensor } from '../tensor.js';
import { copy, reshape } from './movement.js';
import { recordPrim } from './primitive.js';

/** `x` viewed as `[outer, r, inner]` for a reduction over the axes `first..last`. */
function rows(x: Tensor, first: number, last: number) {
  return {
    outer: shapeSize(x.shape.slice(0, first)),
    r: shapeSize(x.shape.slice(first, last + 1)),
    inner: shapeSize(x.shape.slice(last + 1)),
  };
}

/**
 * Sums or maximizes over the adjacent axes `first..last` (no autograd), keeping them with size
 * 1: a pending reduction (see `lazy/fusion.ts`) that fuses with what computes `x` and with the
 * elementwise ops that read the result.
 */
function reduceAxes(op: 'sum' | 'max', x: Tensor, first: number, last: number): Tensor {
  const shape = x.shape.map((d, i) => (i >= first && i <= last ? 1 : d));
  const out = empty(shape, x.dtype, x.device);
  if (out.size > 0) {
    fuseReduce(
      storageFor(out),
      op,
      { storage: storageFor(x), size: x.size, type: wgslType(x.dtype) },
      rows(x, first, last),
    );
  }
  return out;
}

/** Sum over `axes` (sorted, distinct), each kept with size 1; over no axes, a copy. */
export function sum(x: Tensor, axes: readonly number[]): Tensor {
  let acc: Tensor | null = null;
  // Adjacent axes are one reduction: `[B, L, D]` summed over B and L folds rows of B·L.
  for (let k = 0; k < axes.length; ) {
    let end = k;
    while (end + 1 < axes.length && axes[end + 1] === axes[end]! + 1) end++;
    const next = reduceAxes('sum', acc ?? x, axes[k]!, axes[end]!);
    acc?.dispose();
    acc = next;
    k = end + 1;
  }
  return recordPrim(acc ?? copy(x, false), 'sum', [x], { axes });
}

/** Maximum over one axis, kept with size 1. */
export function max(x: Tensor, axis: number): Tensor {
  return recordPrim(reduceAxes('max', x, axis, axis), 'max', [x], { axis });
}

/** Index (i32) of the first maximum or minimum along `axis`, kept with size 1. */
export function argReduce(op: 'argmax' | 'argmin', x: Tensor, axis: number): Tensor {
  const out = empty(
    x.shape.map((d, i) => (i === axis ? 1 : d)),
    'i32',
    x.device,
  );
  encodeArgReduce(
    x.device,
    op,
    x.dtype === 'i32' ? 'i32' : 'f32',
    bufferOf(x),
    bufferOf(out),
    rows(x, axis, axis),
  );
  return out;
}

/**
 * Sums `g` over the dimensions along which `shape` was broadcast to `g.shape`, giving a tensor
 * of `shape` (`g` itself when nothing was broadcast): the gradient of a broadcast operand.
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.join() === shape.join()) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const summed = sum(g, axes);
  return adopt(reshape(summed, shape), [summed]);
}
