import { philox4x32 } from './philox.js';

const TWO_POW_32 = 4294967296;

/** The full state of a {@link Generator}: restore it with `setState` to replay a stream. */
export interface GeneratorState {
  seed: number;
  /** 128-bit blocks consumed so far. */
  counter: number;
}

/**
 * A seedable, counter-based random generator (Philox4x32-10 keyed by the seed).
 *
 * Numbers are generated on the CPU, in plain TypeScript, and uploaded: the same seed gives
 * bit-identical tensors on every run, machine and GPU backend (the float transforms use only
 * IEEE arithmetic and V8's deterministic `Math.log/sqrt/cos/sin`). Every call consumes whole
 * 128-bit blocks, so the position in the stream after a call depends only on the sizes
 * requested. Draws:
 * - uniform: `u = (x >>> 8) · 2⁻²⁴` in `[0, 1)` (24 random bits, exact in f32);
 * - normal: Box–Muller on two 32-bit words, in f64, rounded to f32 at the end;
 * - truncated normal: TRM.md §2 (JAX convention), via an f64 inverse error function;
 * - integers in `[low, high)`: `low + floor(x / 2³² · (high − low))`;
 * - Bernoulli(p): `u < p`.
 */
export class Generator {
  private readonly key: [number, number];
  private counter = 0;

  constructor(readonly seed = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`Generator seed must be a non-negative safe integer, got ${seed}.`);
    }
    this.key = [(seed % TWO_POW_32) >>> 0, Math.floor(seed / TWO_POW_32) >>> 0];
  }

  get state(): GeneratorState {
    return { seed: this.seed, counter: this.counter };
  }

  /** Continues the stream of the given state (its seed must be this generator's). */
  setState(state: GeneratorState): void {
    if (state.seed !== this.seed) throw new RangeError('setState: the seed differs.');
    this.counter = state.counter;
  }

  /**
   * Skips the next `blocks` 128-bit blocks of the stream and returns the counter of the first:
   * for drawing them elsewhere (on the device, in a captured step).
   */
  skip(blocks: number): number {
    const first = this.counter;
    this.counter += blocks;
    return first;
  }

  /** `n` uniformly random 32-bit words. */
  uint32(n: number): Uint32Array {
    const blocks = Math.ceil(n / 4);
    const out = new Uint32Array(blocks * 4);
    for (let b = 0; b < blocks; b++) {
      const c = this.counter + b;
      philox4x32(
        this.key,
        [(c % TWO_POW_32) >>> 0, Math.floor(c / TWO_POW_32) >>> 0, 0, 0],
        out,
        b * 4,
      );
    }
    this.counter += blocks;
    return out.subarray(0, n);
  }

  /** `n` f32 values uniform in `[low, high)`. */
  uniform(n: number, low = 0, high = 1): Float32Array {
    const words = this.uint32(n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = low + (high - low) * ((words[i]! >>> 8) * 2 ** -24);
    return out;
  }

  /** `n` f32 values from a normal distribution. */
  normal(n: number, mean = 0, std = 1): Float32Array {
    const words = this.uint32(2 * Math.ceil(n / 2));
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u1 = (words[i]! + 1) / TWO_POW_32; // (0, 1]
      const u2 = words[i + 1]! / TWO_POW_32; // [0, 1)
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }

  /**
   * `n` f32 values of TRM's truncated normal (TRM.md §2): truncated at ±2 standard deviations
   * and rescaled so the samples' actual standard deviation is `std`; `std = 0` gives zeros.
   */
  truncNormal(n: number, std = 1, mean = 0): Float32Array {
    const out = new Float32Array(n);
    if (std === 0) {
      out.fill(mean);
      return out;
    }
    const lower = erf(-2 / Math.SQRT2);
    const upper = erf(2 / Math.SQRT2);
    const z = (upper - lower) / 2;
    const p = Math.exp(-2) / Math.sqrt(2 * Math.PI);
    const compStd = std / Math.sqrt(1 - (4 * p) / z);
    const words = this.uint32(n);
    for (let i = 0; i < n; i++) {
      const u = lower + (upper - lower) * ((words[i]! + 0.5) / TWO_POW_32);
      const v = Math.SQRT2 * compStd * erfinv(u);
      out[i] = mean + Math.min(Math.max(v, -2 * compStd), 2 * compStd);
    }
    return out;
  }

  /** `n` integers uniform in `[low, high)`. */
  integers(n: number, low: number, high: number): Int32Array {
    if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
      throw new RangeError(`integers: need integers low < high, got [${low}, ${high}).`);
    }
    const words = this.uint32(n);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = low + Math.floor((words[i]! / TWO_POW_32) * (high - low));
    return out;
  }

  /** `n` Bernoulli(p) draws as 0/1. */
  bernoulli(n: number, p: number): Uint8Array {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli: p must be in [0, 1], got ${p}.`);
    const words = this.uint32(n);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = (words[i]! >>> 8) * 2 ** -24 < p ? 1 : 0;
    return out;
  }
}

/** erf(x) in f64: Maclaurin series for |x| < 3, continued fraction of erfc beyond. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let k = 1; k < 200; k++) {
      term *= -x2 / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …))))
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}

/** Inverse error function in f64: Giles' approximation refined by Newton steps on {@link erf}. */
export function erfinv(y: number): number {
  if (y <= -1) return Number.NEGATIVE_INFINITY;
  if (y >= 1) return Number.POSITIVE_INFINITY;
  let w = -Math.log((1 - y) * (1 + y));
  let x: number;
  if (w < 5) {
    w -= 2.5;
    let p = 2.81022636e-8;
    p = 3.43273939e-7 + p * w;
    p = -3.5233877e-6 + p * w;
    p = -4.39150654e-6 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
    x = p * y;
  } else {
    w = Math.sqrt(w) - 3;
    let p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
    x = p * y;
  }
  for (let i = 0; i < 2; i++) {
    x -= (erf(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  }
  return x;
}
