import { describe, expect, it } from 'vitest';
import { autocast, autocastPrecision, matmul, tensor } from '../src/index.js';
import { useDefaultDevice } from './helpers.js';
import { roundF16, ulpF16 } from './reference/f16.js';

useDefaultDevice();

/** Values in [-2, 2) that are not f16 values, so rounding shows. */
function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.31 + i * 1.7) * 2 + 1e-4);
}

/** `op(a)·op(b)` of row-major host matrices in f64, each operand and the result through `r`. */
function product(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  r: (x: number) => number,
  trans: { a?: boolean; b?: boolean } = {},
): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++)
        s += r(a[trans.a ? p * m + i : i * k + p]!) * r(b[trans.b ? j * k + p : p * n + j]!);
      out.push(r(s));
    }
  return out;
}

/** Every element within one f16 ulp of the reference, and an f16 value itself. */
function expectHalf(got: Float32Array, want: number[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    expect(roundF16(got[i]!), `element ${i} is not an f16 value`).toBe(got[i]);
    expect(Math.abs(got[i]! - want[i]!), `element ${i}`).toBeLessThanOrEqual(ulpF16(want[i]!));
  }
}

describe('autocast', () => {
  const [m, k, n] = [5, 12, 6];
  const a = values(m * k, 1);
  const b = values(k * n, 2);

  it('runs matmuls inside it in f16 and restores f32 afterwards, also after a throw', async () => {
    const A = tensor(a, { shape: [m, k] });
    const B = tensor(b, { shape: [k, n] });
    const half = autocast('f16', () => matmul(A, B));
    expectHalf((await half.data()) as Float32Array, product(a, b, m, k, n, roundF16));
    expect(autocastPrecision()).toBe('f32');
    const full = (await matmul(A, B).data()) as Float32Array;
    const exact = product(a, b, m, k, n, (x) => x);
    for (let i = 0; i < full.length; i++) expect(full[i]).toBeCloseTo(exact[i]!, 4);
    expect(() =>
      autocast('f16', () => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(autocastPrecision()).toBe('f32');
  });

  it('differentiates in the precision of the forward, called outside the context', async () => {
    const A = tensor(a, { shape: [m, k] });
    const B = tensor(b, { shape: [k, n] });
    A.requiresGrad = true;
    B.requiresGrad = true;
    const gHost = values(m * n, 3);
    const y = autocast('f16', () => matmul(A, B));
    y.mul(tensor(gHost, { shape: [m, n] }))
      .sum()
      .backward();
    // dA = G·Bᵀ and dB = Aᵀ·G, each with f16 operands and an f16 result.
    expectHalf(
      (await A.grad!.data()) as Float32Array,
      product(gHost, b, m, n, k, roundF16, { b: true }),
    );
    expectHalf(
      (await B.grad!.data()) as Float32Array,
      product(a, gHost, k, m, n, roundF16, { a: true }),
    );
  });

  it('refuses an unknown precision', () => {
    expect(() => autocast('bf16' as never, () => 0)).toThrow(/"f16" or "f32"/);
  });
});
