/**
 * IEEE binary16 rounding of a number (ties to even, subnormals kept, ±inf past the range): the
 * value an f16 tensor would hold, as a float64.
 */
export function roundF16(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  // 65504 is the largest f16; halfway to the next binade step (65520) rounds to infinity.
  if (a >= 65520) return Math.sign(x) * Number.POSITIVE_INFINITY;
  // Spacing of f16 values around a: 2^(e - 10), with subnormals below 2^-14.
  const e = Math.max(Math.floor(Math.log2(a)), -14);
  const ulp = 2 ** (e - 10);
  const q = a / ulp;
  const f = Math.floor(q);
  const d = q - f;
  const r = d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
  return Math.sign(x) * r * ulp;
}

/** The distance from |x| to the next f16 value up. */
export function ulpF16(x: number): number {
  const a = Math.abs(x);
  return 2 ** (Math.max(Math.floor(Math.log2(a || 2 ** -24)), -14) - 10);
}
