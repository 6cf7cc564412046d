/** Softmax and log-softmax along an axis (numerically stable), with gradients. */
import { record } from '../autograd/tape.js';
import { encodeSoftmax } from '../kernels/softmax.js';
import { bufferOf, type Tensor } from '../tensor.js';
import { mapBinary } from './binary.js';
import { mapUnary } from './unary.js';
import { assertDType, empty, normAxis, shapeSize } from './util.js';

function run(x: Tensor, axis: number, log: boolean): Tensor {
  assertDType(log ? 'logSoftmax' : 'softmax', x, ['f32']);
  const a = x.rank === 0 ? 0 : normAxis(log ? 'logSoftmax' : 'softmax', axis, x.rank);
  const out = empty(x.shape, 'f32', x.device);
  encodeSoftmax(x.device, log, bufferOf(x), bufferOf(out), {
    outer: shapeSize(x.shape.slice(0, a)),
    r: x.rank === 0 ? 1 : x.shape[a]!,
    inner: shapeSize(x.shape.slice(a + 1)),
  });
  record(out, log ? 'logSoftmax' : 'softmax', [x], (g) => {
    if (x.rank === 0) return [g.mul(0)];
    if (log) {
      // dx = g − softmax(x)·Σg
      return [mapBinary('sub', g, mapBinary('mul', mapUnary('exp', out), g.sum(a, true)))];
    }
    // dx = y·(g − Σ g·y)
    const gy = mapBinary('mul', g, out);
    return [mapBinary('mul', out, mapBinary('sub', g, gy.sum(a, true)))];
  });
  return out;
}

/** `exp(x − max) / Σ exp(x − max)` along `axis` (default: the last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return run(x, axis, false);
}

/** `x − max − log Σ exp(x − max)` along `axis` (default: the last). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return run(x, axis, true);
}
