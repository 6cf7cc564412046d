/**
 * The reduction primitives: sums over axes and the maximum over one axis, keeping the reduced
 * axes with size 1, and the index reductions (argmax, argmin) that carry no gradient.
 */
import { adopt } from '../autograd/tape.js';
import { encodeReduce } from '../kernels/reduce.js';
import { empty, shapeSize } from '../ops/util.js';
import { bufferOf, type Tensor } from '../tensor.js';
import { copy, reshape } from './movement.js';
import { recordPrim } from './primitive.js';

type Kernel = 'sum' | 'max' | 'argmax' | 'argmin';

/** Reduces one axis with a catalogue kernel (no autograd); keeps the axis with size 1. */
function reduceAxis(op: Kernel, x: Tensor, axis: number): Tensor {
  const shape = x.shape.map((d, i) => (i === axis ? 1 : d));
  const out = empty(shape, op === 'argmax' || op === 'argmin' ? 'i32' : x.dtype, x.device);
  encodeReduce(x.device, op, x.dtype === 'i32' ? 'i32' : 'f32', bufferOf(x), bufferOf(out), {
    outer: shapeSize(x.shape.slice(0, axis)),
    r: x.shape[axis]!,
    inner: shapeSize(x.shape.slice(axis + 1)),
  });
  return out;
}

/** Sum over `axes` (sorted, distinct), each kept with size 1; over no axes, a copy. */
export function sum(x: Tensor, axes: readonly number[]): Tensor {
  let acc: Tensor | null = null;
  for (const a of axes) {
    const next = reduceAxis('sum', acc ?? x, a);
    acc?.dispose();
    acc = next;
  }
  return recordPrim(acc ?? copy(x, false), 'sum', [x], { axes });
}

/** Maximum over one axis, kept with size 1. */
export function max(x: Tensor, axis: number): Tensor {
  return recordPrim(reduceAxis('max', x, axis), 'max', [x], { axis });
}

/** Index (i32) of the first maximum or minimum along `axis`, kept with size 1. */
export function argReduce(op: 'argmax' | 'argmin', x: Tensor, axis: number): Tensor {
  return reduceAxis(op, x, axis);
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
