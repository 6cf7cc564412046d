/**
 * Deterministic pseudo-random numbers: PCG32 (XSH-RR output, 64-bit LCG state), seeded
 * through SplitMix64 so that nearby seeds give unrelated streams.
 *
 * The same seed gives the same stream on every platform and every run. It is *not*
 * bit-compatible with NumPy's `np.random` (MT19937) or `Generator(Philox)`, so a dataset
 * built here with seed 42 has the same statistics as the reference's but not the same
 * bytes; nothing downstream depends on byte equality.
 */
export class Rng {
  private state: bigint;
  private readonly inc: bigint;
  // BigInt arithmetic is slow, so the hot path works on two 32-bit halves.
  private hi: number;
  private lo: number;
  private readonly incHi: number;
  private readonly incLo: number;

  constructor(seed: number | bigint = 0, stream: number | bigint = 0) {
    const s = splitMix64(BigInt.asUintN(64, BigInt(seed)));
    const q = splitMix64(BigInt.asUintN(64, BigInt(stream)) ^ 0xda3e39cb94b95bdbn);
    this.inc = BigInt.asUintN(64, (q << 1n) | 1n);
    this.state = 0n;
    this.incHi = Number(this.inc >> 32n);
    this.incLo = Number(this.inc & 0xffffffffn);
    this.hi = 0;
    this.lo = 0;
    this.nextU32();
    this.state = BigInt.asUintN(64, (BigInt(this.hi) << 32n) + BigInt(this.lo) + s);
    this.hi = Number(this.state >> 32n);
    this.lo = Number(this.state & 0xffffffffn);
    this.nextU32();
  }

  /** Next uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const oldHi = this.hi;
    const oldLo = this.lo;
    // state = state * 6364136223846793005 + inc (mod 2^64), on 16-bit limbs to stay exact.
    const mHi = 0x5851f42d;
    const mLo = 0x4c957f2d;
    const a0 = oldLo & 0xffff;
    const a1 = oldLo >>> 16;
    const b0 = mLo & 0xffff;
    const b1 = mLo >>> 16;
    let t = a0 * b0;
    const r0 = t & 0xffff;
    t = (t >>> 16) + a1 * b0;
    let carry = Math.floor(t / 0x10000);
    t = (t & 0xffff) + a0 * b1;
    carry += Math.floor(t / 0x10000);
    const r1 = t & 0xffff;
    const loProduct = ((r1 << 16) | r0) >>> 0;
    const hiProduct = (carry + a1 * b1 + Math.imul(oldLo, mHi) + Math.imul(oldHi, mLo)) >>> 0;
    const lo = loProduct + this.incLo;
    this.lo = lo >>> 0;
    this.hi = (hiProduct + this.incHi + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    // PCG outputs a permutation of the *old* state, so the next step can run in parallel.
    return pcgOutput(oldHi, oldLo);
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). Unbiased (rejection sampling). `n` must be in 1..2^32. */
  int(n: number): number {
    if (!(n >= 1) || n > 4294967296 || !Number.isInteger(n)) {
      throw new RangeError(`Rng.int: bound must be an integer in 1..2^32, got ${n}`);
    }
    if (n === 1) return 0;
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** Uniform integer in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo);
  }

  /** Shuffles `arr` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }

  /** Shuffles `arr[start..end)` in place without creating a view. */
  shuffleRange(arr: { [i: number]: number }, start: number, end: number): void {
    for (let i = end - 1; i > start; i--) {
      const j = start + this.int(i - start + 1);
      const tmp = arr[i]!;
      arr[i] = arr[j]!;
      arr[j] = tmp;
    }
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** The internal 64-bit state, for debugging and tests. */
  get stateBigInt(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
}

function pcgOutput(hi: number, lo: number): number {
  // xorshifted = ((state >> 18) ^ state) >> 27, truncated to 32 bits; rot = state >> 59.
  const sHi = hi ^ (hi >>> 18);
  const sLo = lo ^ ((lo >>> 18) | (hi << 14));
  const xorshifted = ((sLo >>> 27) | (sHi << 5)) >>> 0;
  const rot = hi >>> 27;
  return ((xorshifted >>> rot) | (xorshifted << ((32 - rot) & 31))) >>> 0;
}

function splitMix64(x: bigint): bigint {
  let z = BigInt.asUintN(64, x + 0x9e3779b97f4a7c15n);
  z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
  z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
  return z ^ (z >> 31n);
}
