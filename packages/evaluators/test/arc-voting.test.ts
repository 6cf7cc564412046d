import { describe, expect, it } from 'vitest';
import { DEFAULT_PASS_KS, passAtK, rankVotes, sigmoid } from '../src/index.js';

describe('rankVotes / passAtK', () => {
  it('ranks by votes, then mean q, then first seen', () => {
    const ranked = rankVotes([
      { hash: 'a', q: 0.9 },
      { hash: 'b', q: 0.2 },
      { hash: 'b', q: 0.4 },
      { hash: 'c', q: 0.1 },
      { hash: 'c', q: 0.7 },
      { hash: 'd', q: 0.9 },
      { hash: 'e', q: 0.5 },
      { hash: 'f', q: 0.5 },
    ]);
    expect(ranked.map((c) => [c.hash, c.votes])).toEqual([
      ['c', 2], // mean 0.4
      ['b', 2], // mean 0.3
      ['a', 1], // 0.9, seen before d
      ['d', 1],
      ['e', 1],
      ['f', 1],
    ]);
    expect(ranked[0]!.meanQ).toBeCloseTo(0.4, 15);
    expect(DEFAULT_PASS_KS).toEqual([1, 2, 5, 10, 100, 1000]);
    const at = (target: string) => DEFAULT_PASS_KS.map((k) => passAtK(ranked, target, k));
    expect(at('c')).toEqual([true, true, true, true, true, true]);
    expect(at('b')).toEqual([false, true, true, true, true, true]);
    expect(at('f')).toEqual([false, false, false, true, true, true]);
    expect(at('zz')).toEqual([false, false, false, false, false, false]);
    expect(rankVotes([])).toEqual([]);
  });

  it('computes the sigmoid stably in f64', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(2)).toBeCloseTo(0.8807970779778823, 15);
    expect(sigmoid(-2)).toBeCloseTo(0.11920292202211755, 15);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
  });
});
