import { Device } from '@trm/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamATan2, type AdamState, AdamW, type ParamSlot } from '../src/index.js';
import { fixtures, flat, maxRelError } from './fixtures.js';

let device: Device;
beforeAll(async () => {
  device = await Device.open();
});
afterAll(() => device?.destroy());

const names = Object.keys(fixtures.adam_atan2.params0);

function makeSlots(values: Record<string, Float32Array>): {
  slots: ParamSlot[];
  setGrads(step: number): ParamSlot[];
} {
  const value = Object.fromEntries(names.map((n) => [n, device.upload(values[n]!)]));
  const slots = names.map((name) => ({
    name,
    size: values[name]!.length,
    value: value[name]!,
    grad: null,
  }));
  return {
    slots,
    setGrads: (step) =>
      slots.map((s) => ({
        ...s,
        grad: device.upload(flat(fixtures.adam_atan2.grads[step]![s.name]!)),
      })),
  };
}

async function readAll(slots: ParamSlot[]): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const s of slots) out[s.name] = await device.read(s.value, Float32Array, s.size);
  return out;
}

const initial = () =>
  Object.fromEntries(names.map((n) => [n, flat(fixtures.adam_atan2.params0[n]!)]));

describe.each([
  ['AdamATan2', fixtures.adam_atan2.trajectory, (s: ParamSlot[]) => new AdamATan2(device, s)],
  ['AdamW', fixtures.adamw.trajectory, (s: ParamSlot[]) => new AdamW(device, s, { eps: 1e-8 })],
] as const)('%s against PyTorch', (_name, trajectory, make) => {
  it('matches five steps of the PyTorch fixture within 1e-6 relative', async () => {
    const { slots, setGrads } = makeSlots(initial());
    const opt = make(slots);
    for (let t = 0; t < fixtures.steps; t++) {
      opt.step(setGrads(t), fixtures.adam_atan2.lrs[t]!);
      const got = await readAll(slots);
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
    const straight = makeSlots(initial());
    const optA = new AdamATan2(device, straight.slots);
    for (let t = 0; t < k + 3; t++) optA.step(straight.setGrads(t), fixtures.adam_atan2.lrs[t]!);
    const expected = await readAll(straight.slots);

    const first = makeSlots(initial());
    const optB = new AdamATan2(device, first.slots);
    for (let t = 0; t < k; t++) optB.step(first.setGrads(t), fixtures.adam_atan2.lrs[t]!);
    // A round trip through JSON-like copies, as a checkpoint would do.
    const saved: AdamState = structuredClone(await optB.stateDict());
    const weights = await readAll(first.slots);

    const resumed = makeSlots(weights);
    const optC = new AdamATan2(device, resumed.slots);
    optC.loadStateDict(saved);
    expect(optC.stepCount).toBe(k);
    for (let t = k; t < k + 3; t++) optC.step(resumed.setGrads(t), fixtures.adam_atan2.lrs[t]!);
    const got = await readAll(resumed.slots);
    for (const n of names) expect(got[n]).toEqual(expected[n]);
  });

  it('refuses state for different parameters with a clear error', async () => {
    const { slots } = makeSlots(initial());
    const opt = new AdamATan2(device, slots);
    const state = await opt.stateDict();
    delete state.m.w;
    expect(() => opt.loadStateDict(state)).toThrow(/no entry for parameter "w"/);
  });
});

describe('validation', () => {
  it('rejects bad hyper-parameters and unknown parameters', () => {
    expect(() => new AdamATan2(device, [{ name: 'x', size: 1 }], { beta1: 1 })).toThrow(/beta1/);
    const opt = new AdamATan2(device, [{ name: 'x', size: 1 }]);
    const buf = device.upload(new Float32Array(1));
    expect(() => opt.step([{ name: 'y', size: 1, value: buf, grad: buf }], 1e-3)).toThrow(
      /unknown parameter "y"/,
    );
    expect(() => opt.step([{ name: 'x', size: 1, value: buf, grad: buf }], Number.NaN)).toThrow(
      /finite/,
    );
  });
});
