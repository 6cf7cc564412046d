import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { useDefaultDevice } from './helpers.js';

const gpu = useDefaultDevice();

describe('clear errors', () => {
  it('shape mismatches name the op and the shapes', () => {
    const a = T.zeros([2, 3]);
    expect(() => a.add(T.zeros([4]))).toThrow(T.ShapeError);
    expect(() => a.add(T.zeros([4]))).toThrow(/add: shapes \[2,3\] and \[4\] cannot be broadcast/);
    expect(() => a.matmul(T.zeros([2, 3]))).toThrow(/matmul: inner dimensions differ.*\(3 vs 2\)/);
    expect(() => a.matmul(T.zeros([5, 3, 4]).reshape([3, 5, 4]))).toThrow(/inner dimensions/);
    expect(() => T.zeros([2, 2, 3]).matmul(T.zeros([3, 3, 1]))).toThrow(/batch dims/);
    expect(() => a.reshape([4, 2])).toThrow(/cannot reshape .*f32\[2,3\].* to \[4,2\]/);
    expect(() => T.concat([a, T.zeros([3, 3])], 1)).toThrow(/concat/);
    expect(() => a.sum(2)).toThrow(/axis 2 is out of range for a tensor of rank 2/);
    expect(() => a.permute(0, 0)).toThrow(/permute/);
    expect(() => T.tensor([1, 2, 3], { shape: [2, 2] })).toThrow(
      /3 values do not fill shape \[2,2\]/,
    );
    expect(() => T.tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => T.zeros([2, 3, 4]).gather(T.zeros([2], { dtype: 'i32' }))).toThrow(/must be 2-D/);
    expect(() => T.zeros([3]).assign(T.zeros([4]))).toThrow(/shapes differ/);
  });

  it('dtype mismatches say which dtypes met', () => {
    const f = T.zeros([3]);
    const i = T.zeros([3], { dtype: 'i32' });
    expect(() => f.add(i)).toThrow(T.DTypeError);
    expect(() => f.add(i)).toThrow(/add: dtypes differ .*f32\[3\].*i32\[3\]/);
    expect(() => i.exp()).toThrow(/exp takes f32 tensors, got .*i32/);
    expect(() => T.zeros([4, 2]).gather(f)).toThrow(/gather \(ids\) takes i32/);
    expect(() => T.where(f, f, f)).toThrow(/where takes bool/);
    expect(() => i.requireGrad()).toThrow(/only f32 tensors can require grad/);
    expect(() => f.logicalAnd(f)).toThrow(T.DTypeError);
    expect(() => T.zeros([2], { dtype: 'f64' as never })).toThrow(/Unknown dtype "f64"/);
  });

  it('using a disposed tensor throws DisposedTensorError', async () => {
    const a = T.ones([2]);
    a.dispose();
    a.dispose(); // idempotent
    expect(() => a.add(1)).toThrow(T.DisposedTensorError);
    expect(() => a.exp()).toThrow(/Tensor#\d+ f32\[2\] was disposed/);
    await expect(a.data()).rejects.toThrow(T.DisposedTensorError);
    const inner = T.tidy(() => {
      const t = T.ones([2]);
      return { later: () => t.mul(2) };
    });
    expect(() => inner.later()).toThrow(T.DisposedTensorError);
  });

  it('backward after the graph was freed, from a non-scalar, or without grad says why', () => {
    const w = T.ones([2]).requireGrad();
    const loss = T.tidy(() => w.mul(2).exp().sum());
    expect(() => loss.backward()).toThrow(/was disposed before backward\(\) ran/);
    expect(() => w.mul(2).backward()).toThrow(/needs a scalar/);
    expect(() => T.ones([1]).backward()).toThrow(/does not require grad/);
    expect(() => T.tidy(async () => 1)).toThrow(/synchronous/);
    const twice = w.mul(3).sum();
    twice.backward();
    expect(() => twice.backward()).toThrow(/already freed by an earlier backward/);
  });

  it('tensors from different devices cannot be combined', async () => {
    const other = await T.Device.open();
    try {
      const a = T.ones([2]);
      const b = T.ones([2], { device: other });
      expect(b.device).toBe(other);
      expect(() => a.add(b)).toThrow(T.DeviceMismatchError);
      expect(() => a.add(b)).toThrow(/add: .* are on different devices/);
      expect(() => T.matmul(a.reshape([1, 2]), b.reshape([2, 1]))).toThrow(T.DeviceMismatchError);
      expect(() => T.concat([a, b])).toThrow(T.DeviceMismatchError);
      expect(() => a.assign(b)).toThrow(T.DeviceMismatchError);
      expect(await b.add(1).toArray()).toEqual([2, 2]);
    } finally {
      other.destroy();
    }
  });

  it('no default device is a clear error', () => {
    T.setDefaultDevice(undefined);
    try {
      expect(() => T.zeros([1])).toThrow(/No default device: call setDefaultDevice/);
    } finally {
      T.setDefaultDevice(gpu());
    }
  });
});
