import { describe, expect, it } from 'vitest';
import { drawExploration, haltsByQHead } from '../src/index.js';

describe('drawExploration', () => {
  it('draws per row, in row order, a second value only for exploring rows', () => {
    const values = [0.05, 0.5, 0.9, 0.01, 0.99, 0.2];
    let i = 0;
    const draws = drawExploration(
      { halt_exploration_prob: 0.1, halt_max_steps: 4 },
      4,
      () => values[i++]!,
    );
    expect([...draws.explore]).toEqual([1, 0, 1, 0]);
    // minHalt = 2 + floor(u · (halt_max_steps - 1)) for exploring rows, 0 otherwise.
    expect([...draws.minHalt]).toEqual([3, 0, 4, 0]);
    expect(i).toBe(6);
  });

  it('a global draw sliced per rank equals the draws of the rows themselves', () => {
    const stream = (seed: number) => {
      let s = seed;
      return () => {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        return s / 2 ** 32;
      };
    };
    const cfg = { halt_exploration_prob: 0.5, halt_max_steps: 8 };
    const all = drawExploration(cfg, 12, stream(9));
    const first = drawExploration(cfg, 6, stream(9));
    expect([...all.explore.slice(0, 6)]).toEqual([...first.explore]);
    expect([...all.minHalt.slice(0, 6)]).toEqual([...first.minHalt]);
  });
});

describe('haltsByQHead', () => {
  it('halts when q_halt beats q_continue, or is positive without a continue head', () => {
    const act = { no_ACT_continue: false };
    const noContinue = { no_ACT_continue: true };
    expect(haltsByQHead(act, 0.5, 0.25)).toBe(true);
    expect(haltsByQHead(act, -1, -2)).toBe(true);
    expect(haltsByQHead(act, 0.5, 0.5)).toBe(false);
    expect(haltsByQHead(act, 3, 4)).toBe(false);
    expect(haltsByQHead(noContinue, 0.1, 9)).toBe(true);
    expect(haltsByQHead(noContinue, -0.1, -9)).toBe(false);
    expect(haltsByQHead(noContinue, 0, -1)).toBe(false);
  });
});
