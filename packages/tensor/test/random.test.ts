import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { philox4x32 } from '../src/random/philox.js';
import { useDefaultDevice } from './helpers.js';

useDefaultDevice();

const stats = (v: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < v.length; i++) m += v[i]!;
  m /= v.length;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i]! - m) ** 2;
  return { mean: m, std: Math.sqrt(s / v.length) };
};

describe('random', () => {
  it('Philox4x32-10 matches the Random123 known-answer vectors', () => {
    const out = new Uint32Array(4);
    philox4x32([0, 0], [0, 0, 0, 0], out);
    expect([...out].map((x) => x.toString(16).padStart(8, '0'))).toEqual([
      '6627e8d5',
      'e169c58d',
      'bc57ac4c',
      '9b00dbd8',
    ]);
    philox4x32([0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], out);
    expect([...out].map((x) => x.toString(16).padStart(8, '0'))).toEqual([
      '408f276d',
      '41c83b0e',
      'a20bc7c6',
      '6d5451fd',
    ]);
  });

  it('the same seed gives the same numbers; the state replays a stream', async () => {
    const a = new T.Generator(42);
    const b = new T.Generator(42);
    expect(await T.randn(a, [3, 5]).data()).toEqual(await T.randn(b, [3, 5]).data());
    expect(await T.rand(a, [7]).data()).toEqual(await T.rand(b, [7]).data());
    const state = a.state;
    const x = await T.truncNormal(a, [9], { std: 0.1 }).data();
    const c = new T.Generator(42);
    c.setState(state);
    expect(await T.truncNormal(c, [9], { std: 0.1 }).data()).toEqual(x);
    expect(await T.randn(new T.Generator(43), [3, 5]).data()).not.toEqual(
      await T.randn(new T.Generator(42), [3, 5]).data(),
    );
    // Shape first, generator last: the same stream.
    expect(await T.truncNormal([5], 0.3, new T.Generator(9)).data()).toEqual(
      await T.truncNormal(new T.Generator(9), [5], { std: 0.3 }).data(),
    );
    expect(await T.randn([5], { mean: 1 }, new T.Generator(9)).data()).toEqual(
      await T.randn(new T.Generator(9), [5], { mean: 1 }).data(),
    );
    expect(() => T.randn([5] as never, {} as never, undefined as never)).toThrow(
      /pass a Generator/,
    );
    // Pinned values: any change to the generator shows up here.
    expect(Array.from(new T.Generator(0).uint32(4))).toEqual([
      0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8,
    ]);
  });

  it('distributions have the right moments and ranges', async () => {
    const g = new T.Generator(1);
    const n = 20_000;
    const u = (await T.rand(g, [n], { low: -1, high: 3 }).data()) as Float32Array;
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...u)).toBeLessThan(3);
    expect(stats(u).mean).toBeCloseTo(1, 1);
    const z = stats(await T.randn(g, [n], { mean: 2, std: 3 }).data());
    expect(z.mean).toBeCloseTo(2, 1);
    expect(z.std).toBeCloseTo(3, 1);
    // TRM §2: truncated at ±2 comp_std and rescaled so the actual std is `std`.
    const tn = (await T.truncNormal(g, [n], { std: 0.5 }).data()) as Float32Array;
    const compStd = 0.5 * 1.1368979;
    expect(Math.max(...tn.map(Math.abs))).toBeLessThanOrEqual(2 * compStd + 1e-6);
    expect(stats(tn).std).toBeCloseTo(0.5, 2);
    expect(await T.truncNormal(g, [3], { std: 0 }).data()).toEqual(new Float32Array(3));
    const ints = (await T.randint(g, [n], -3, 4).data()) as Int32Array;
    expect(new Set(ints)).toEqual(new Set([-3, -2, -1, 0, 1, 2, 3]));
    const bits = await T.bernoulli(g, [n], 0.25).data();
    expect(T.bernoulli(g, [2], 0.5).dtype).toBe('bool');
    expect(stats(bits).mean).toBeCloseTo(0.25, 1);
    expect(T.erfinv(T.erf(0.7))).toBeCloseTo(0.7, 12);
    expect(T.erf(Math.SQRT2)).toBeCloseTo(0.9544997361036416, 14);
  });
});
