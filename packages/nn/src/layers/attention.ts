import { type Generator, scaledDotProductAttention, type Tensor } from '@trm/tensor';
import { Module } from '../module.js';
import { Linear } from './linear.js';
import type { RotaryEmbedding } from './rotary.js';

/**
 * Non-causal multi-head self-attention without biases (spec §3). `qkv_proj` packs queries,
 * keys and values as heads `0..H-1`, `H..2H-1`, `2H..3H-1` of a `[B, L, 3H, d]` view, which
 * `scaledDotProductAttention` of `@trm/tensor` consumes directly:
 * `softmax(rope(q)·rope(k)ᵀ/√d)·v` per head.
 *
 * The head width is `d = floor(hidden / numHeads)`, as in the reference: when the heads do not
 * divide the hidden size (the transformer baseline's 512 / 12), the heads span `A = H·d < hidden`
 * features, `qkv_proj` is `[3A, hidden]` and `o_proj` `[hidden, A]`.
 */
export class Attention extends Module {
  readonly headDim: number;
  /** `numHeads · headDim`: the width the heads span (at most `hidden`). */
  readonly headsWidth: number;
  readonly qkvProj: Linear;
  readonly oProj: Linear;

  constructor(
    readonly hidden: number,
    readonly numHeads: number,
    generator: Generator,
  ) {
    super();
    if (!Number.isInteger(numHeads) || numHeads < 1 || numHeads > hidden) {
      throw new RangeError(
        `the number of heads must be an integer in 1..${hidden} (the hidden size), got ${numHeads}`,
      );
    }
    this.headDim = Math.floor(hidden / numHeads);
    this.headsWidth = numHeads * this.headDim;
    const A = this.headsWidth;
    this.qkvProj = this.registerModule('qkv_proj', new Linear(hidden, 3 * A, generator));
    this.oProj = this.registerModule('o_proj', new Linear(A, hidden, generator));
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
    return this.oProj.forward(out.reshape([B, L, this.headsWidth]));
  }
}
