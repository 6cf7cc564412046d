import { afterAll, beforeAll, expect } from 'vitest';
import { Device, setDefaultDevice, type Tensor, tensor } from '../src/index.js';
import type { Nd } from './reference/nd.js';

/** Uploads an f64 reference array as an f32 tensor (values must be f32-representable). */
export function toTensor(a: Nd, requiresGrad = false): Tensor {
  const t = tensor(Float32Array.from(a.data), { shape: a.shape });
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

/** Asserts a GPU tensor matches a reference within `atol + rtol·|want|` per element. */
export async function expectClose(got: Tensor, want: Nd, rtol = 1e-5, atol = 1e-5): Promise<void> {
  expect([...got.shape]).toEqual(want.shape);
  const data = await got.data();
  expect(data.length).toBe(want.data.length);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < data.length; i++) {
    const w = want.data[i]!;
    const g = data[i]!;
    const err = Math.abs(g - w) - (atol + rtol * Math.abs(w));
    if (!(err <= 0) && (worst < 0 || err > worstErr || Number.isNaN(err))) {
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `element ${worst} of ${data.length} (shape [${want.shape}]): got ${data[worst]}, expected ${want.data[worst]}`,
    );
  }
}

/**
 * Opens a device before the file's tests and makes it the default; destroys it after.
 * Returns a getter, since the device exists only once `beforeAll` has run.
 */
export function useDefaultDevice(): () => Device {
  let device: Device | undefined;
  beforeAll(async () => {
    device = await Device.open();
    setDefaultDevice(device);
  });
  afterAll(() => {
    setDefaultDevice(undefined);
    device?.destroy();
  });
  return () => device!;
}

/**
 * The kernels encoded on `device` while `fn` runs and its result is read, one label per
 * dispatch, and the result's values.
 */
export async function kernelsOn(
  device: Device,
  fn: () => Tensor,
): Promise<{ labels: string[]; values: number[] }> {
  device.countKernels(true);
  const y = fn();
  const values = [...(await y.data())];
  const labels = device.countKernels(false).flatMap(([label, n]) => Array<string>(n).fill(label));
  return { labels, values };
}
