import { Device, tensor, zeros } from '@trm/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ema } from '../src/index.js';

let device: Device;
beforeAll(async () => {
  device = await Device.open();
});
afterAll(() => device?.destroy());

describe('Ema', () => {
  it('tracks shadow = (1-μ)p + μ·shadow, leaves training weights alone, and saves/restores', async () => {
    const p0 = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i));
    const value = tensor(p0, { device });
    const ema = new Ema([['w', value]], 0.9);
    const expected = Float64Array.from(p0);
    for (let step = 1; step <= 3; step++) {
      const p = Float32Array.from(p0, (x) => x + step);
      value.assign(p);
      ema.update();
      for (let i = 0; i < p.length; i++) expected[i] = 0.1 * p[i]! + 0.9 * expected[i]!;
    }
    const shadow = (await ema.stateDict()).w!;
    for (let i = 0; i < p0.length; i++) expect(shadow[i]).toBeCloseTo(expected[i]!, 5);
    expect(((await value.data()) as Float32Array)[0]).toBe(Math.fround(p0[0]! + 3));

    const target = zeros([p0.length], { device });
    ema.copyTo([['w', target]]);
    expect(await target.data()).toEqual(shadow);
    expect(() => ema.copyTo([['v', target]])).toThrow(/no shadow for parameter "v"/);

    const fresh = new Ema([['w', value]], 0.9);
    fresh.loadStateDict({ w: shadow });
    expect((await fresh.stateDict()).w).toEqual(shadow);
  });
});
