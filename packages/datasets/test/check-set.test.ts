import { describe, expect, it } from 'vitest';
import { firstTokenOutside } from '../src/loader/check-set.js';

describe('firstTokenOutside', () => {
  /** The obvious loop, to compare the word-at-a-time one against. */
  function naive(data: ArrayLike<number>, vocab: number, allowed: number | null): number {
    for (let i = 0; i < data.length; i++) {
      const t = data[i]!;
      if ((t < 0 || t >= vocab) && t !== allowed) return i;
    }
    return -1;
  }

  it('finds the first byte outside the vocabulary wherever it sits', () => {
    let seed = 1;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let trial = 0; trial < 2000; trial++) {
      const vocab = 1 + rand(140);
      const buf = new Uint8Array(4 + rand(40));
      for (let i = 0; i < buf.length; i++) buf[i] = rand(vocab);
      const bad = rand(3);
      for (let b = 0; b < bad; b++) buf[rand(buf.length)] = vocab + rand(256 - vocab);
      const offset = rand(4);
      const view = buf.subarray(offset);
      const allowed = rand(2) === 0 ? null : rand(2) === 0 ? rand(vocab) : 255;
      expect(firstTokenOutside(view, vocab, allowed)).toBe(naive(view, vocab, allowed));
    }
  });

  it('treats negative and huge values of wider types as outside', () => {
    expect(firstTokenOutside(Int32Array.of(0, 3, -1), 4, null)).toBe(2);
    expect(firstTokenOutside(Int32Array.of(0, -100, 3), 4, -100)).toBe(-1);
    expect(firstTokenOutside(Uint32Array.of(1, 2 ** 32 - 1), 4, -1)).toBe(1);
    expect(firstTokenOutside(Int8Array.of(1, -128), 128, null)).toBe(1);
  });
});
