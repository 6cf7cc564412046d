/** A Wilson score interval for a proportion. */
export interface WilsonInterval {
  /** Centre of the interval, `(p + z²/2n) / (1 + z²/n)`. */
  center: number;
  /** Half width, `z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n)`. */
  half: number;
  /** `center - half`, clamped to ≥ 0 (it can only dip below through rounding); exactly 0 at p = 0. */
  low: number;
  /** `center + half`, clamped to ≤ 1; exactly 1 at p = 1. */
  high: number;
}

/** The z value of a two-sided 95% interval, as the reference uses it. */
export const Z_95 = 1.96;

/**
 * Wilson score interval for an observed proportion `p` over `n` trials (§8 of the spec):
 *
 * `center = (p + z²/2n) / (1 + z²/n)`, `half = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n)`.
 *
 * With `n = 0` there is no information: the result is the limit of the formula as n → 0,
 * `{ center: 0.5, half: 0.5, low: 0, high: 1 }`, whatever `p` is.
 *
 * @param p observed proportion in [0, 1]
 * @param n number of trials (≥ 0; need not be an integer)
 * @param z standard-normal quantile, 1.96 for 95%
 * @throws RangeError when `p`, `n` or `z` is out of range or not finite
 */
export function wilsonInterval(p: number, n: number, z: number = Z_95): WilsonInterval {
  if (!Number.isFinite(p) || p < 0 || p > 1) {
    throw new RangeError(`wilsonInterval: p must be a proportion in [0, 1], got ${p}`);
  }
  if (!Number.isFinite(n) || n < 0) {
    throw new RangeError(`wilsonInterval: n must be a finite count ≥ 0, got ${n}`);
  }
  if (!Number.isFinite(z) || z <= 0) {
    throw new RangeError(`wilsonInterval: z must be a finite positive number, got ${z}`);
  }
  if (n === 0) return { center: 0.5, half: 0.5, low: 0, high: 1 };
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // At p = 0 (p = 1) the lower (upper) bound is exactly 0 (1); rounding would miss it by an ulp.
  const low = p === 0 ? 0 : Math.max(0, center - half);
  const high = p === 1 ? 1 : Math.min(1, center + half);
  return { center, half, low, high };
}

/**
 * Formats an interval the way the evaluation entry point prints it, e.g.
 * `0.8740 [0.8403, 0.9015] (N=423)`: the observed proportion, then the Wilson bounds.
 */
export function formatWilson(p: number, n: number, digits = 4, z: number = Z_95): string {
  const w = wilsonInterval(p, n, z);
  return `${p.toFixed(digits)} [${w.low.toFixed(digits)}, ${w.high.toFixed(digits)}] (N=${n})`;
}
