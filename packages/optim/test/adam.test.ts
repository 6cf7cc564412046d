import { Device, type Tensor, tensor } from '@trm/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamATan2, type AdamState, AdamW, type Parameters } from '../src/index.js';
import { fixtures, flat, maxRelError } from './fixtures.js';

let device: Device;
beforeAll(async () => {
  device = await Device.open();
});
afterAll(() => device?.destroy());

const names = Object.keys(fixtures.adam_atan2.params0);

/** The fixture's parameters as tensors, and a way to give them the gradients of a step. */
function makeParams(values: Record<string, Float32Array>): {
  params: [string, Tensor][];
  setGrads(step: number): void;
} {
  const params = names.map((n): [string, Tensor] => [
    n,
    tensor(values[n]!, { device }).keep().requireGrad(),
  ]);
  return {
    params,
    setGrads: (step) => {
      for (const [name, p] of params) {
        p.grad = tensor(flat(fixtures.adam_atan2.grads[step]![name]!), { device });
      }
    },
  };
}

async function readAll(params: [string, Tensor][]): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [name, p] of params) out[name] = (await p.data()) as Float32Array;
  return out;
}

const initial = () =>
  Object.fromEntries(names.map((n) => [n, flat(fixtures.adam_atan2.params0[n]!)]));

describe.each([
  ['AdamATan2', fixtures.adam_atan2.trajectory, (p: Parameters) => new AdamATan2(p)],
  ['AdamW', fixtures.adamw.trajectory, (p: Parameters) => new AdamW(p, { eps: 1e-8 })],
] as const)('%s against PyTorch', (_name, trajectory, make) => {
  it('matches five steps of the PyTorch fixture within 1e-6 relative', async () => {
    const { params, setGrads } = makeParams(initial());
    const opt = make(params);
    for (let t = 0; t < fixtures.steps; t++) {
      setGrads(t);
      opt.step(fixtures.adam_atan2.lrs[t]!);
      const got = await readAll(params);
      for (const n of names) {
        const err = maxRelError(got[n]!, flat(trajectory[t]![n]!));
        expect(err, `${n} after step ${t + 1}`).toBeLessThan(1e-6);
      }
    }
  });
});

describe('resume', () => {
  it('saving after step k and restoring gives the same parameters after k+3 as an uninterrupted run', async () => {
    const k = 2;
    const run = (opt: AdamATan2, p: ReturnType<typeof makeParams>, t: number) => {
      p.setGrads(t);
      opt.step(fixtures.adam_atan2.lrs[t]!);
    };
    const straight = makeParams(initial());
    const optA = new AdamATan2(straight.params);
    for (let t = 0; t < k + 3; t++) run(optA, straight, t);
    const expected = await readAll(straight.params);

    const first = makeParams(initial());
    const optB = new AdamATan2(first.params);
    for (let t = 0; t < k; t++) run(optB, first, t);
    // A round trip through JSON-like copies, as a checkpoint would do.
    const saved: AdamState = structuredClone(await optB.stateDict());
    const weights = await readAll(first.params);

    const resumed = makeParams(weights);
    const optC = new AdamATan2(resumed.params);
    optC.loadStateDict(saved);
    expect(optC.stepCount).toBe(k);
    for (let t = k; t < k + 3; t++) run(optC, resumed, t);
    const got = await readAll(resumed.params);
    for (const n of names) expect(got[n]).toEqual(expected[n]);
  });

  it('refuses state for different parameters with a clear error', async () => {
    const { params } = makeParams(initial());
    const opt = new AdamATan2(params);
    const state = await opt.stateDict();
    delete state.m.w;
    expect(() => opt.loadStateDict(state)).toThrow(/no entry for parameter "w"/);
  });
});

describe('validation', () => {
  it('rejects bad hyper-parameters, repeated or non-f32 parameters and a non-finite rate', () => {
    const x = tensor([0], { device });
    expect(() => new AdamATan2([['x', x]], { beta1: 1 })).toThrow(/beta1/);
    expect(
      () =>
        new AdamATan2([
          ['x', x],
          ['x', x],
        ]),
    ).toThrow(/"x" is listed twice/);
    expect(() => new AdamATan2([['i', tensor([1], { dtype: 'i32', device })]])).toThrow(/only f32/);
    const opt = new AdamATan2([['x', x]]);
    expect(() => opt.step(Number.NaN)).toThrow(/finite/);
  });

  it('leaves parameters without a gradient alone and names bare tensors by position', async () => {
    const a = tensor([1, 2], { device }).requireGrad();
    const b = tensor([3, 4], { device }).requireGrad();
    b.grad = tensor([1, 1], { device });
    const opt = new AdamATan2([a, b], { weightDecay: 0 });
    opt.step(0.1);
    expect(await a.toArray()).toEqual([1, 2]);
    const moved = (await b.data()) as Float32Array;
    expect(moved[0]).toBeLessThan(3);
    expect(Object.keys((await opt.stateDict()).m)).toEqual(['0', '1']);
  });
});
