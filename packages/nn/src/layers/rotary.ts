import { concat, type Tensor, tensor } from '@trm/tensor';
import { Module } from '../module.js';

/**
 * Rotary position embedding over a head dimension `d` (spec §3): `cos`/`sin` tables `[L, d]`
 * for positions `0..L-1`, built once on the host. They are derived, so they are registered as
 * non-persistent buffers and never saved (the reference does not store them either).
 */
export class RotaryEmbedding extends Module {
  readonly cos: Tensor;
  readonly sin: Tensor;

  constructor(
    readonly dim: number,
    readonly maxPositions: number,
    readonly theta = 10000,
  ) {
    super();
    if (dim % 2 !== 0)
      throw new RangeError(`rotary embedding needs an even head dimension, got ${dim}`);
    const half = dim / 2;
    const cos = new Float32Array(maxPositions * dim);
    const sin = new Float32Array(maxPositions * dim);
    for (let i = 0; i < half; i++) {
      // The reference computes these in f32; doing it in f64 and rounding once is closer to exact.
      const invFreq = Math.fround(1 / theta ** ((2 * i) / dim));
      for (let p = 0; p < maxPositions; p++) {
        const angle = Math.fround(p * invFreq);
        for (const j of [i, i + half]) {
          cos[p * dim + j] = Math.cos(angle);
          sin[p * dim + j] = Math.sin(angle);
        }
      }
    }
    this.cos = this.registerBuffer('cos', tensor(cos, { shape: [maxPositions, dim] }), false);
    this.sin = this.registerBuffer('sin', tensor(sin, { shape: [maxPositions, dim] }), false);
  }

  /** Rotates `x` of shape `[B, L, H, d]`: `x·cos + rotate_half(x)·sin`, tables broadcast over heads. */
  apply(x: Tensor): Tensor {
    const L = x.shape[1]!;
    const cos = this.cos.narrow(0, 0, L).unsqueeze(1);
    const sin = this.sin.narrow(0, 0, L).unsqueeze(1);
    return x.mul(cos).add(rotateHalf(x).mul(sin));
  }
}

/** `concat(-x[..., d/2:], x[..., :d/2])` along the last axis. */
export function rotateHalf(x: Tensor): Tensor {
  const d = x.shape[x.rank - 1]!;
  const half = d / 2;
  return concat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);
}
