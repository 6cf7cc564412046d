import type { Generator } from '@trm/tensor';
import type { TrmConfig } from '../config.js';
import type { ReasoningModule } from './block.js';
import { type DeviceBatch, type InnerCarry, InnerModel, type InnerOutput } from './inner.js';

/**
 * The transformer baseline's inner model (`transformers_baseline`): one pass of `H_layers`
 * attention blocks over the carried state plus the input, `z ← blocks_H(z_H + e)`, all with
 * gradient. Recurrence across supervision steps runs only through the carry. Reset vector
 * `H_init`; the heads may not divide the width (12 heads of 42 features on 512 by default).
 */
export class TransformerBaselineInner extends InnerModel {
  readonly hLevel: ReasoningModule;

  constructor(config: TrmConfig, generator: Generator) {
    super(config, generator);
    this.hLevel = this.registerStack('H_level', generator, config.H_layers);
    this.registerInit('z_H', 'H_init', generator);
  }

  forward(carry: InnerCarry, batch: DeviceBatch): InnerOutput {
    const z = this.hLevel.forward(carry.z_H!, this.embed(batch), this.rotary);
    return this.output(z, { z_H: z });
  }
}
