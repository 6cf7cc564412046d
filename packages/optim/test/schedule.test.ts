import { describe, expect, it } from 'vitest';
import { cosineWithWarmup, createSchedule } from '../src/index.js';

describe('cosineWithWarmup', () => {
  const base = 1e-4;
  const s = cosineWithWarmup({ base, warmupSteps: 2000, totalSteps: 32552, minRatio: 0.1 });
  // Expected values worked out by hand from the formula of spec §7.
  it.each([
    ['warm-up start', 1, base / 2000],
    ['last warm-up step', 1999, (base * 1999) / 2000],
    ['warm-up end', 2000, base],
    ['middle of the decay', 2000 + (32552 - 2000) / 2, base * (0.1 + 0.9 * 0.5)],
    ['end', 32552, base * 0.1],
    ['past the end', 40000, base * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * (38000 / 30552))))],
  ])('%s', (_label, step, expected) => {
    expect(Math.abs(s(step) - expected)).toBeLessThan(1e-12);
  });

  it('is constant after warm-up when minRatio is 1 (the reference default)', () => {
    const c = cosineWithWarmup({ base: 2e-4, warmupSteps: 10, totalSteps: 100, minRatio: 1 });
    expect(c(10)).toBe(2e-4);
    expect(c(77)).toBe(2e-4);
    expect(c(5)).toBe(1e-4);
  });

  it('handles zero warm-up and rejects bad options', () => {
    expect(cosineWithWarmup({ base: 1, warmupSteps: 0, totalSteps: 10, minRatio: 0 })(0)).toBe(1);
    expect(() =>
      cosineWithWarmup({ base: Number.NaN, warmupSteps: 0, totalSteps: 1, minRatio: 0 }),
    ).toThrow(/base/);
    expect(() =>
      createSchedule('linear', { base: 1, warmupSteps: 0, totalSteps: 1, minRatio: 0 }),
    ).toThrow(/known: cosine, constant/);
  });
});
