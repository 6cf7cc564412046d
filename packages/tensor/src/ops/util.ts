import { getDefaultDevice } from '../context.js';
import type { Device } from '../device/device.js';
import type { DType } from '../dtype.js';
import { DeviceMismatchError, DTypeError, ShapeError } from '../errors.js';
import { Storage } from '../memory/storage.js';
import { Tensor } from '../tensor.js';

/** A new, uninitialised tensor from the pool. */
export function empty(shape: readonly number[], dtype: DType, device: Device): Tensor {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`Invalid shape [${shape.join(',')}]: dims must be integers ≥ 0.`);
    }
  }
  const size = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Storage.alloc(device, size, dtype), shape, dtype);
}

export function resolveDevice(device: Device | undefined): Device {
  return device ?? getDefaultDevice();
}

/** Checks operands are live and on one device; returns the device. */
export function assertSameDevice(op: string, tensors: readonly Tensor[]): Device {
  const first = tensors[0]!;
  for (const t of tensors) t.assertLive();
  for (const t of tensors) {
    if (t.device !== first.device) {
      throw new DeviceMismatchError(
        `${op}: ${first.describe()} and ${t.describe()} are on different devices; move data explicitly (e.g. tensor(await t.data(), { shape, device })).`,
      );
    }
  }
  return first.device;
}

export function assertDType(op: string, t: Tensor, allowed: readonly DType[]): void {
  if (!allowed.includes(t.dtype)) {
    throw new DTypeError(`${op} takes ${allowed.join(' or ')} tensors, got ${t.describe()}.`);
  }
}

export function assertSameDType(op: string, tensors: readonly Tensor[]): void {
  const first = tensors[0]!;
  for (const t of tensors) {
    if (t.dtype !== first.dtype) {
      throw new DTypeError(
        `${op}: dtypes differ (${first.describe()} and ${t.describe()}); cast one with .cast().`,
      );
    }
  }
}

/** Normalises a possibly negative axis. */
export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}.`);
  }
  return a;
}

export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function fmt(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** NumPy broadcasting of shapes; throws a ShapeError naming the op and both shapes. */
export function broadcastShapes(op: string, ...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let extent = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d === extent || d === 1) continue;
      if (extent === 1) extent = d;
      else {
        throw new ShapeError(
          `${op}: shapes ${shapes.map(fmt).join(' and ')} cannot be broadcast together (dimension ${i - rank}: ${extent} vs ${d}).`,
        );
      }
    }
    out.push(extent);
  }
  return out;
}

/** Strides reading `shape` (dense) as if broadcast to `outShape`: 0 on broadcast dims. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = outShape.length - shape.length + i;
    strides[o] = shape[i] === 1 ? 0 : s;
    s *= shape[i]!;
  }
  return strides;
}
