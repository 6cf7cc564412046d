import type { Generator, Tensor } from '@trm/tensor';
import { Module } from '../module.js';
import { Linear } from './linear.js';
import type { RotaryEmbedding } from './rotary.js';

/**
 * Non-causal multi-head self-attention without biases (spec §3). `qkv_proj` packs queries,
 * keys and values as heads `0..H-1`, `H..2H-1`, `2H..3H-1` of a `[B, L, 3H, d]` view.
 */
export class Attention extends Module {
  readonly headDim: number;
  readonly qkvProj: Linear;
  readonly oProj: Linear;

  constructor(
    readonly hidden: number,
    readonly numHeads: number,
    generator: Generator,
  ) {
    super();
    if (hidden % numHeads !== 0) {
      throw new RangeError(
        `hidden size ${hidden} is not divisible by the number of heads ${numHeads}`,
      );
    }
    this.headDim = hidden / numHeads;
    this.qkvProj = this.registerModule('qkv_proj', new Linear(hidden, 3 * hidden, generator));
    this.oProj = this.registerModule('o_proj', new Linear(hidden, hidden, generator));
  }

  forward(x: Tensor, rotary: RotaryEmbedding | null): Tensor {
    const [B, L] = x.shape as [number, number, number];
    const H = this.numHeads;
    const qkv = this.qkvProj.forward(x).reshape([B, L, 3 * H, this.headDim]);
    let q = qkv.narrow(2, 0, H);
    let k = qkv.narrow(2, H, H);
    const v = qkv.narrow(2, 2 * H, H).permute(0, 2, 1, 3);
    if (rotary) {
      q = rotary.apply(q);
      k = rotary.apply(k);
    }
    q = q.permute(0, 2, 1, 3); // [B, H, L, d]
    k = k.permute(0, 2, 1, 3);
    const scores = q.matmul(k, { transB: true }).mul(1 / Math.sqrt(this.headDim));
    const out = scores
      .softmax(-1)
      .matmul(v)
      .permute(0, 2, 1, 3)
      .reshape([B, L, H * this.headDim]);
    return this.oProj.forward(out);
  }
}
