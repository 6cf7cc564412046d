import { type Generator, type Tensor, zeros } from '@trm/tensor';
import { lecunStd, truncNormalInit } from '../init.js';
import { Module } from '../module.js';

/**
 * `y = x Wᵀ (+ b)` with the reference's weight layout `[out, in]`. The transpose is read by the
 * matmul kernel in place, never copied, and the bias is added in the kernel's store.
 */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    generator: Generator,
    options: { bias?: boolean; std?: number } = {},
  ) {
    super();
    this.weight = this.registerParameter(
      'weight',
      truncNormalInit([outFeatures, inFeatures], options.std ?? lecunStd(inFeatures), generator),
    );
    this.bias = options.bias ? this.registerParameter('bias', zeros([outFeatures])) : null;
  }

  forward(x: Tensor): Tensor {
    return x.matmul(this.weight, this.bias ? { transB: true, bias: this.bias } : { transB: true });
  }
}
