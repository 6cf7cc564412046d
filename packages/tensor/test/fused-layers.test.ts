import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { useDefaultDevice } from './helpers.js';
import { rng, uniforms } from './reference/random.js';

useDefaultDevice();
const next = rng(77);

function rand(shape: number[], lo = -2, hi = 2): T.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return T.tensor(Float32Array.from(uniforms(next, n, lo, hi)), { shape });
}

async function expectNear(got: T.Tensor, want: T.Tensor, tol: number, what: string) {
  expect([...got.shape], what).toEqual([...want.shape]);
  const g = (await got.data()) as Float32Array;
  const w = (await want.data()) as Float32Array;
  let worst = 0;
  for (let i = 0; i < g.length; i++) {
    worst = Math.max(worst, Math.abs(g[i]! - w[i]!) / (1 + Math.abs(w[i]!)));
  }
  expect(worst, what).toBeLessThan(tol);
}

/** The unfused composition the fused op replaces. */
const composedNorm = (s: T.Tensor, eps: number) =>
  s.mul(s.square().mean(-1, true).add(eps).rsqrt());

/** f64 reference of the norm of one row. */
function normRow(s: number[], eps: number): number[] {
  const ms = s.reduce((a, v) => a + v * v, 0) / s.length;
  return s.map((v) => v / Math.sqrt(ms + eps));
}

describe('rmsNorm (fused residual add and norm)', () => {
  // d = 5 (one partial pass), 64 (one full workgroup), 130 (several passes per thread)
  it.each([
    [[3, 5], true],
    [[2, 4, 64], false],
    [[2, 130], true],
    [[1, 1, 7], false],
  ] as const)(
    '%j with residual=%s matches the composition, forward and gradient',
    async (shape, withRes) => {
      const eps = 1e-5;
      const x = rand([...shape]).requireGrad();
      const res = withRes ? rand([...shape]).requireGrad() : null;
      const w = rand([...shape]); // a weighting, so the upstream gradient is not uniform
      const fused = T.rmsNorm(x, eps, res ?? undefined);
      fused.mul(w).sum().backward();
      const gx = x.grad!.clone(); // setting .grad = null frees the old one
      const gres = res?.grad?.clone() ?? null;
      x.grad = null;
      if (res) res.grad = null;
      const composed = composedNorm(res ? x.add(res) : x, eps);
      composed.mul(w).sum().backward();
      await expectNear(fused, composed, 2e-6, 'forward');
      await expectNear(gx, x.grad!, 2e-5, 'gradient of x');
      if (res) await expectNear(gres!, res.grad!, 2e-5, 'gradient of the residual');
    },
  );

  it('matches an f64 reference and uses eps', async () => {
    const rows = [
      [1, 2, 3, 4],
      [0, 0, 0, 0],
      [-3, 0.5, 2, 1e-3],
    ];
    const x = T.tensor(rows);
    for (const eps of [1e-6, 0.5]) {
      const got = (await T.rmsNorm(x, eps).data()) as Float32Array;
      const want = rows.flatMap((r) => normRow(r, eps));
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
    }
  });

  it('gives the gradient only to the inputs that require it', async () => {
    const x = rand([2, 6]).requireGrad();
    const res = rand([2, 6]); // a constant residual
    T.rmsNorm(x, 1e-5, res).sum().backward();
    expect(res.grad).toBeNull();
    const want = x.detach().add(res).requireGrad();
    composedNorm(want, 1e-5).sum().backward();
    await expectNear(x.grad!, want.grad!, 2e-5, 'gradient of x');
  });

  it('refuses mismatched residuals and bad eps', () => {
    expect(() => T.rmsNorm(rand([2, 3]), 1e-5, rand([3, 2]))).toThrow(/residual/);
    expect(() => T.rmsNorm(rand([2, 3]), -1)).toThrow(/eps/);
    expect(() => T.rmsNorm(T.scalar(1), 1e-5)).toThrow(/at least one axis/);
  });
});

describe('swiglu', () => {
  it.each([[[3, 8]], [[2, 5, 6]], [[1, 514]]] as const)(
    '%j matches silu(gate)·up, forward and gradient',
    async (shape) => {
      const gu = rand([...shape], -4, 4).requireGrad();
      const h = shape[shape.length - 1]! / 2;
      const w = rand([...shape.slice(0, -1), h]);
      const fused = T.swiglu(gu);
      fused.mul(w).sum().backward();
      const g = gu.grad!.clone();
      gu.grad = null;
      const [gate, up] = gu.chunk(2, -1) as [T.Tensor, T.Tensor];
      const composed = gate.silu().mul(up);
      composed.mul(w).sum().backward();
      await expectNear(fused, composed, 1e-6, 'forward');
      await expectNear(g, gu.grad!, 1e-5, 'gradient');
    },
  );

  it('refuses an odd last axis', () => {
    expect(() => T.swiglu(rand([2, 3]))).toThrow(/gate and up halves/);
  });
});
