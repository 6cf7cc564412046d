import { describe, expect, it } from 'vitest';
import { formatWilson, wilsonInterval } from '../src/index.js';

// Computed independently with Python's decimal module at 50 digits:
//   den = 1 + z²/n; c = (p + z²/2n)/den; h = z·sqrt(p(1-p)/n + z²/4n²)/den, z = 1.96.
const EXPECTED: [p: number, n: number, center: number, half: number][] = [
  [0, 1, 0.39672835426305353, 0.39672835426305353],
  [0, 423, 0.004500029987705041, 0.004500029987705041],
  [0, 423000, 4.5408571060126276e-6, 4.5408571060126276e-6],
  [0.5, 1, 0.5, 0.44538093485411651],
  [0.5, 423, 0.5, 0.047434322951345267],
  [0.5, 423000, 0.5, 0.0015067941309304049],
  [0.874, 1, 0.577247191011236, 0.41885660578824691],
  [0.874, 423, 0.87063397756919658, 0.031661533628943674],
  [0.874, 423000, 0.87399660343888474, 0.0010000631142645345],
  [1, 1, 0.60327164573694647, 0.39672835426305353],
  [1, 423, 0.99549997001229495, 0.004500029987705041],
  [1, 423000, 0.99999545914289401, 4.5408571060126276e-6],
];

describe('wilsonInterval', () => {
  it.each(EXPECTED)('p=%s n=%s matches the hand computation', (p, n, center, half) => {
    const w = wilsonInterval(p, n);
    expect(Math.abs(w.center - center)).toBeLessThan(1e-12);
    expect(Math.abs(w.half - half)).toBeLessThan(1e-12);
    expect(Math.abs(w.low - Math.max(0, center - half))).toBeLessThan(1e-12);
    expect(Math.abs(w.high - Math.min(1, center + half))).toBeLessThan(1e-12);
    expect(w.low).toBeGreaterThanOrEqual(0);
    expect(w.high).toBeLessThanOrEqual(1);
  });

  it('pins the edges: p = 0 starts at 0, p = 1 ends at 1', () => {
    expect(wilsonInterval(0, 423).low).toBe(0);
    expect(wilsonInterval(1, 423).high).toBe(1);
  });

  it('handles n = 0 as the no-information interval [0, 1]', () => {
    expect(wilsonInterval(0.3, 0)).toEqual({ center: 0.5, half: 0.5, low: 0, high: 1 });
    // …which is the limit of the formula as n → 0.
    const tiny = wilsonInterval(0.3, 1e-12);
    expect(tiny.center).toBeCloseTo(0.5, 9);
    expect(tiny.half).toBeCloseTo(0.5, 9);
  });

  it('uses z = 1.96 by default and accepts another z', () => {
    expect(wilsonInterval(0.5, 423)).toEqual(wilsonInterval(0.5, 423, 1.96));
    expect(wilsonInterval(0.5, 423, 2.576).half).toBeGreaterThan(wilsonInterval(0.5, 423).half);
  });

  it('rejects out-of-range arguments', () => {
    expect(() => wilsonInterval(-0.1, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(1.1, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(Number.NaN, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(0.5, -1)).toThrow(RangeError);
    expect(() => wilsonInterval(0.5, Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => wilsonInterval(0.5, 10, 0)).toThrow(RangeError);
  });

  it('formats p with its bounds', () => {
    expect(formatWilson(0.874, 423)).toBe('0.8740 [0.8390, 0.9023] (N=423)');
  });
});
