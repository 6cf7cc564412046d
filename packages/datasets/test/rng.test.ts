import { describe, expect, it } from 'vitest';
import { Rng } from '../src/rng.js';

/** Straightforward BigInt PCG32 (XSH-RR) to check the 32-bit-limb implementation. */
function referencePcg(state: bigint, inc: bigint, count: number): number[] {
  const out: number[] = [];
  let s = state;
  for (let i = 0; i < count; i++) {
    const old = s;
    s = BigInt.asUintN(64, s * 6364136223846793005n + inc);
    const xs = Number(BigInt.asUintN(32, ((old >> 18n) ^ old) >> 27n));
    const rot = Number(old >> 59n);
    out.push(((xs >>> rot) | (xs << ((32 - rot) & 31))) >>> 0);
  }
  return out;
}

describe('Rng (PCG32)', () => {
  it('matches a BigInt PCG32 implementation', () => {
    for (const seed of [0, 1, 42, 123456789]) {
      const r = new Rng(seed);
      const inc = (r as unknown as { inc: bigint }).inc;
      const expected = referencePcg(r.stateBigInt, inc, 1000);
      const got = Array.from({ length: 1000 }, () => r.nextU32());
      expect(got).toEqual(expected);
    }
  });

  it('is deterministic per seed and differs across seeds', () => {
    const a = Array.from(
      { length: 8 },
      (
        (r) => () =>
          r.nextU32()
      )(new Rng(7)),
    );
    const b = Array.from(
      { length: 8 },
      (
        (r) => () =>
          r.nextU32()
      )(new Rng(7)),
    );
    const c = Array.from(
      { length: 8 },
      (
        (r) => () =>
          r.nextU32()
      )(new Rng(8)),
    );
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // Pinned values: a change here silently changes every dataset built with a seed.
    expect(new Rng(42).nextU32()).toBe(1268952930);
  });

  it('draws bounded integers uniformly and valid permutations', () => {
    const r = new Rng(3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60000; i++) counts[r.int(6)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(500);
    const p = Array.from(r.permutation(50)).sort((x, y) => x - y);
    expect(p).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(() => r.int(0)).toThrow(RangeError);
    const f = r.nextFloat();
    expect(f).toBeGreaterThanOrEqual(0);
    expect(f).toBeLessThan(1);
  });
});
