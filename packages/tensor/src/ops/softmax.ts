/**
 * Softmax and log-softmax along an axis, numerically stable, as composites of primitives: the
 * row maximum is subtracted off the tape (the result does not depend on it), and the gradient
 * follows from the gradient table.
 */
import { composite, noGrad } from '../autograd/tape.js';
import { binary, unary } from '../prims/elementwise.js';
import * as prim from '../prims/reduce.js';
import type { Tensor } from '../tensor.js';
import { assertDType, normAxis } from './util.js';

function run(x: Tensor, axis: number, log: boolean): Tensor {
  const name = log ? 'logSoftmax' : 'softmax';
  x.assertLive();
  assertDType(name, x, ['f32']);
  if (x.rank === 0) return composite(() => binary('add', binary('mul', x, 0), log ? 0 : 1));
  const a = normAxis(name, axis, x.rank);
  return composite(() => {
    const shifted = binary(
      'add',
      x,
      binary(
        'mul',
        noGrad(() => prim.max(x, a)),
        -1,
      ),
      name,
    );
    const e = unary('exp', shifted);
    const total = prim.sum(e, [a]);
    return log
      ? binary('add', shifted, binary('mul', unary('log', total), -1), name)
      : binary('div', e, total, name);
  });
}

/** `exp(x − max) / Σ exp(x − max)` along `axis` (default: the last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return run(x, axis, false);
}

/** `x − max − log Σ exp(x − max)` along `axis` (default: the last). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return run(x, axis, true);
}
