/**
 * The fused layer ops: a residual add with the RMS norm after it, and the SwiGLU gate. Each is
 * one kernel forward and one backward where the composition of primitive ops takes five to
 * fifteen; both are checked against that composition in the tests.
 */
import { adopt, record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import {
  encodeRmsNorm,
  encodeRmsNormBackward,
  encodeSwiglu,
  encodeSwigluBackward,
} from '../kernels/fused-layers.js';
import { bufferOf, type Tensor } from '../tensor.js';
import { assertDType, assertSameDevice, empty } from './util.js';

/**
 * RMS norm over the last axis without a learned scale, of `x + residual` when a residual is
 * given: `s · rsqrt(mean(s², -1) + eps)`. One kernel (one workgroup per row) forward and one
 * backward; the gradient of `x` and of `residual` is the same tensor.
 */
export function rmsNorm(x: Tensor, eps: number, residual?: Tensor): Tensor {
  const what = 'rmsNorm';
  const device = assertSameDevice(what, residual ? [x, residual] : [x]);
  assertDType(what, x, ['f32']);
  if (residual) {
    assertDType(what, residual, ['f32']);
    if (residual.shape.join() !== x.shape.join()) {
      throw new ShapeError(
        `${what}: the residual ${residual.describe()} must have the shape of ${x.describe()}.`,
      );
    }
  }
  if (x.rank === 0) throw new ShapeError(`${what} needs at least one axis, got ${x.describe()}.`);
  if (!(eps >= 0)) throw new RangeError(`${what}: eps must be ≥ 0, got ${eps}`);
  const d = x.shape[x.rank - 1]!;
  const rows = d === 0 ? 0 : x.size / d;
  const y = empty(x.shape, 'f32', device);
  const rinv = empty([rows], 'f32', device);
  if (x.size > 0) {
    encodeRmsNorm(
      device,
      {
        x: bufferOf(x),
        res: residual ? bufferOf(residual) : null,
        y: bufferOf(y),
        rinv: bufferOf(rinv),
      },
      rows,
      d,
      eps,
    );
  }
  const inputs = residual ? [x, residual] : [x];
  record(y, what, inputs, (g) => {
    const ds = empty(x.shape, 'f32', device);
    // Both inputs take the same gradient: the kernel writes it twice rather than the engine
    // copying it.
    const both = residual !== undefined && x.requiresGrad && residual.requiresGrad;
    const ds2 = both ? empty(x.shape, 'f32', device) : null;
    if (x.size > 0) {
      encodeRmsNormBackward(
        device,
        {
          x: bufferOf(x),
          res: residual ? bufferOf(residual) : null,
          rinv: bufferOf(rinv),
          g: bufferOf(g),
          ds: bufferOf(ds),
          ds2: ds2 ? bufferOf(ds2) : null,
        },
        rows,
        d,
      );
    }
    if (!residual) return [ds];
    if (ds2) return [ds, ds2];
    return [x.requiresGrad ? ds : null, residual.requiresGrad ? ds : null];
  });
  return adopt(y, [rinv]);
}

/**
 * The SwiGLU gate on a packed projection: `silu(gate) · up` where `gate` and `up` are the
 * first and second halves of the last axis of `gateUp` (`[..., 2h]` → `[..., h]`), as the
 * reference's `gate_up_proj` output is split.
 */
export function swiglu(gateUp: Tensor): Tensor {
  const what = 'swiglu';
  gateUp.assertLive();
  assertDType(what, gateUp, ['f32']);
  const last = gateUp.rank === 0 ? 0 : gateUp.shape[gateUp.rank - 1]!;
  if (gateUp.rank === 0 || last % 2 !== 0) {
    throw new ShapeError(
      `${what}: the last axis must hold gate and up halves, got ${gateUp.describe()}.`,
    );
  }
  const h = last / 2;
  const shape = [...gateUp.shape.slice(0, -1), h];
  const device = gateUp.device;
  const out = empty(shape, 'f32', device);
  const n = out.size;
  if (n > 0) encodeSwiglu(device, bufferOf(gateUp), bufferOf(out), n, h);
  return record(out, what, [gateUp], (g) => {
    const dgu = empty(gateUp.shape, 'f32', device);
    if (n > 0) {
      encodeSwigluBackward(
        device,
        { gu: bufferOf(gateUp), g: bufferOf(g), dgu: bufferOf(dgu) },
        n,
        h,
      );
    }
    return [dgu];
  });
}
