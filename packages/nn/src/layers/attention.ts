import { type Generator, scaledDotProductAttention, type Tensor } from '@trm/tensor';
import { Module } from '../module.js';
import { Linear } from './linear.js';
import type { RotaryEmbedding } from './rotary.js';

/**
 * Non-causal multi-head self-attention without biases (spec §3). `qkv_proj` packs queries,
 * keys and values as heads `0..H-1`, `H..2H-1`, `2H..3H-1` of a `[B, L, 3H, d]` view, which
 * `scaledDotProductAttention` of `@trm/tensor` consumes directly:
 * `softmax(rope(q)·rope(k)ᵀ/√d)·v` per head.
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
    // One fused kernel (two for the gradient) that reads q, k and v in place from the packed
    // projection and never stores the [B, H, L, L] scores.
    const out = scaledDotProductAttention(qkv, {
      numHeads: H,
      rotary: rotary ? { cos: rotary.cos, sin: rotary.sin } : undefined,
    });
    return this.oProj.forward(out.reshape([B, L, H * this.headDim]));
  }
}
