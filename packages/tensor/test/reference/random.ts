/** A tiny independent PRNG (mulberry32) for test inputs; not the library's Generator. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` f32-representable values uniform in [lo, hi). */
export function uniforms(next: () => number, n: number, lo = -2, hi = 2): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * next());
}
