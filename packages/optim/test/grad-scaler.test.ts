import { Device, tensor } from '@trm/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GradScaler } from '../src/index.js';

let device: Device;
beforeAll(async () => {
  device = await Device.open();
});
afterAll(() => device?.destroy());

describe('GradScaler', () => {
  it('unscales every gradient in place and reports inf and NaN anywhere', async () => {
    const scaler = new GradScaler({ initScale: 1024 });
    const a = tensor(
      Float32Array.from({ length: 600 }, (_, i) => i * 1024),
      { device },
    );
    const b = tensor([2048, -4096], { device });
    expect(await scaler.unscale([a, null, b])).toBe(true);
    expect(((await a.data()) as Float32Array)[599]).toBe(599);
    expect([...((await b.data()) as Float32Array)]).toEqual([2, -4]);
    for (const bad of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]) {
      const values = new Float32Array(700).fill(1);
      values[613] = bad;
      const g = tensor(values, { device });
      expect(await scaler.unscale([b, g])).toBe(false);
    }
    expect(await scaler.unscale([])).toBe(true);
  });

  it('halves the scale on an overflow and doubles it after growthInterval clean steps', () => {
    const scaler = new GradScaler({ initScale: 8, growthInterval: 3 });
    scaler.update(true);
    scaler.update(true);
    expect(scaler.scale).toBe(8);
    scaler.update(false);
    expect(scaler.scale).toBe(4);
    for (let i = 0; i < 3; i++) scaler.update(true);
    expect(scaler.scale).toBe(8);
    const copy = new GradScaler();
    scaler.update(true);
    copy.loadState(scaler.state());
    expect(copy.state()).toEqual({ scale: 8, cleanSteps: 1 });
    expect(() => copy.loadState({ scale: 0, cleanSteps: 0 })).toThrow(/saved scale 0/);
    expect(() => new GradScaler({ backoffFactor: 2 })).toThrow(/backoffFactor cannot be 2/);
  });
});
