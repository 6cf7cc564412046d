// A transpose of the last two dims is lazy: a matmul reads its source in place (no copy
// kernel), and anything else computes it, fused with the elementwise ops around it.
import { describe, expect, it } from 'vitest';
import type * as T from '../src/index.js';
import { pendingKernel } from '../src/tensor.js';
import { kernelsOn, toTensor, useDefaultDevice } from './helpers.js';
import * as R from './reference/nd.js';
import { rng, uniforms } from './reference/random.js';

const gpu = useDefaultDevice();
const next = rng(7);
const rand = (shape: number[]) => R.nd(shape, uniforms(next, R.size(shape), -1, 1));

/** Kernels by label encoded while `fn` runs and its result is read, and the values. */
const kernelsOf = (fn: () => T.Tensor) => kernelsOn(gpu(), fn);

function expectValues(got: number[], want: R.Nd): void {
  expect(got.length).toBe(want.data.length);
  for (const [i, v] of got.entries()) expect(v).toBeCloseTo(want.data[i]!, 5);
}

describe('transposed matmul operands read in place', () => {
  it('a.transpose(-2, -1).matmul(b) and a.matmul(b.transpose(-2, -1)) launch one matmul kernel', async () => {
    const a = rand([2, 5, 3]);
    const b = rand([2, 5, 4]);
    const c = rand([4, 3]);
    const d = rand([3, 4]);
    const [ta, tb, tc, td] = [toTensor(a), toTensor(b), toTensor(c), toTensor(d)];
    await Promise.all([ta.data(), tb.data(), tc.data(), td.data()]); // uploaded before counting
    const first = await kernelsOf(() => ta.transpose(-2, -1).matmul(tb));
    // One kernel, reading the stored A transposed (the label names the layout read).
    expect(first.labels).toHaveLength(1);
    expect(first.labels[0]).toMatch(/^matmulTN/);
    expectValues(first.values, R.matmul(a, b, true, false));
    const second = await kernelsOf(() => ta.matmul(tc.transpose(0, 1)));
    expect(second.labels).toHaveLength(1);
    expect(second.labels[0]).toMatch(/^matmulNT/);
    expectValues(second.values, R.matmul(a, c, false, true));
    // With the flag too: (aᵀ)ᵀ·b is a·b.
    const third = await kernelsOf(() => ta.transpose(1, 2).matmul(td, { transA: true }));
    expect(third.labels).toHaveLength(1);
    expect(third.labels[0]).toMatch(/^matmulNN/);
    expectValues(third.values, R.matmul(a, d));
  });

  it('gradients flow through the transposes, and other readers compute the transpose', async () => {
    const a = toTensor(rand([3, 4]), true);
    const b = toTensor(rand([3, 2]), true);
    const at = a.transpose();
    expect(pendingKernel(at)).toMatch(/let v0i0 = \(i % 3u\) \* 4u \+ i \/ 3u;/); // its source, transposed
    const y = at.matmul(b); // [4, 2]
    y.sum().backward();
    // d(aᵀ·b)/da = b·1ᵀ (rows of b summed), d/db = a·1.
    const ga = await a.grad!.data();
    const gb = await b.grad!.data();
    const bh = await b.data();
    const ah = await a.data();
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 4; j++) expect(ga[i * 4 + j]).toBeCloseTo(bh[i * 2]! + bh[i * 2 + 1]!, 5);
      for (let j = 0; j < 2; j++) {
        let s = 0;
        for (let q = 0; q < 4; q++) s += ah[i * 4 + q]!;
        expect(gb[i * 2 + j]).toBeCloseTo(s, 5);
      }
    }
    // An elementwise reader fuses the transposed read into its own kernel.
    const x = rand([2, 3]);
    const tx = toTensor(x);
    await tx.data();
    const fused = await kernelsOf(() => tx.transpose().mul(2).add(1));
    expect(fused.labels).toHaveLength(1);
    expectValues(
      fused.values,
      R.mapN([R.permute(x, [1, 0])], (v) => 2 * v + 1),
    );
    // Freeing the source first computes the transpose before its buffer goes back.
    const src = toTensor(x);
    const t = src.transpose();
    src.dispose();
    expectValues([...(await t.data())], R.permute(x, [1, 0]));
  });
});
