import type { Generator, Tensor } from '@trm/tensor';
import { truncNormalInit } from '../init.js';
import { Module } from '../module.js';

/** A lookup table `[num, dim]`; the reference names its weight `embedding_weight`. */
export class Embedding extends Module {
  readonly embeddingWeight: Tensor;

  constructor(
    readonly num: number,
    readonly dim: number,
    generator: Generator,
    std = 1 / Math.sqrt(dim),
  ) {
    super();
    this.embeddingWeight = this.registerParameter(
      'embedding_weight',
      truncNormalInit([num, dim], std, generator),
    );
  }

  /** Rows for `ids` (i32, any shape) → `[...ids.shape, dim]`. */
  forward(ids: Tensor): Tensor {
    return this.embeddingWeight.gather(ids);
  }
}
