import { Device, setDefaultDevice, type Tensor, tensor } from '@trm/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stablemaxCrossEntropy } from '../src/index.js';

let device: Device;
beforeAll(async () => {
  device = await Device.open();
  setDefaultDevice(device);
});
afterAll(() => device?.destroy());

/** The composition of primitive ops the fused kernel replaces. */
function composed(logits: Tensor, targets: Tensor): Tensor {
  const s = logits.lt(0).where(logits.neg().add(1).reciprocal(), logits.add(1));
  return s.log().sub(s.sum(-1, true).log()).mul(targets).sum(-1).neg();
}

/** f64 stablemax cross entropy of one row against a label. */
function reference(row: number[], label: number): number {
  const s = row.map((x) => (x < 0 ? 1 / (1 - x) : x + 1));
  return -(Math.log(s[label]!) - Math.log(s.reduce((a, b) => a + b, 0)));
}

describe('stablemaxCrossEntropy (fused)', () => {
  const rows = [
    [0.5, -1.5, 3, -0.25, 0],
    [-4, -3, -2, -1, -0.5],
    [2, 1.25, 0.1, 7, -9],
    [0, 0, 0, 0, 0],
  ];
  const labels = [2, 0, 3, -1]; // -1: an ignored token, all-zero target row
  const oneHot = labels.flatMap((l) => rows[0]!.map((_, j) => (j === l ? 1 : 0)));

  it('matches an f64 reference and gives ignored rows zero loss', async () => {
    const ce = (await stablemaxCrossEntropy(
      tensor(rows),
      tensor(oneHot, { shape: [4, 5] }),
    ).data()) as Float32Array;
    rows.forEach((row, r) => {
      const want = labels[r]! < 0 ? 0 : reference(row, labels[r]!);
      expect(ce[r]).toBeCloseTo(want, 5);
    });
  });

  it('matches the unfused composition, forward and gradient, with soft targets too', async () => {
    const soft = rows.flatMap((row, r) => row.map((_, j) => (r === 3 ? 0 : ((j + r) % 3) / 4)));
    for (const targets of [oneHot, soft]) {
      const x = tensor(rows).requireGrad();
      const t = tensor(targets, { shape: [4, 5] });
      const w = tensor([1, -2, 0.5, 3]);
      const fused = stablemaxCrossEntropy(x, t);
      fused.mul(w).sum().backward();
      const gFused = (await x.grad!.data()) as Float32Array;
      const y = tensor(rows).requireGrad();
      const plain = composed(y, t);
      plain.mul(w).sum().backward();
      const gPlain = (await y.grad!.data()) as Float32Array;
      const [a, b] = [(await fused.data()) as Float32Array, (await plain.data()) as Float32Array];
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 5);
      for (let i = 0; i < gFused.length; i++) expect(gFused[i]).toBeCloseTo(gPlain[i]!, 5);
    }
  });

  it('keeps the gradient finite at a logit of exactly 1 (the composition gives NaN there)', async () => {
    // Unfused, where() also differentiates the unused branch 1/(1 - x), which is 1/0 at x = 1.
    const x = tensor([[1, -1, 0]]).requireGrad();
    stablemaxCrossEntropy(x, tensor([[0, 1, 0]]))
      .sum()
      .backward();
    const g = (await x.grad!.data()) as Float32Array;
    expect([...g].every(Number.isFinite)).toBe(true);
    const y = tensor([[1, -1, 0]]).requireGrad();
    composed(y, tensor([[0, 1, 0]]))
      .sum()
      .backward();
    expect(Number.isNaN(((await y.grad!.data()) as Float32Array)[0])).toBe(true);
  });

  it('refuses targets of another shape', () => {
    expect(() => stablemaxCrossEntropy(tensor(rows), tensor([[1, 0]]))).toThrow(/targets/);
  });
});
