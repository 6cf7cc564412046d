import { type Generator, noGrad, type Tensor } from '@trm/tensor';
import type { TrmConfig } from '../config.js';
import type { ReasoningModule } from './block.js';
import { type DeviceBatch, type InnerCarry, InnerModel, type InnerOutput } from './inner.js';

/**
 * TRM with a single latent state (`trm_singlez`): `z` (carried as `z_L`) is updated
 * `L_cycles` times from `z + e`, then refined once by the same stack with no injection at all,
 * `g(z) = blocks(z)`. The heads read `z`. Parameters are TRM's; the only reset vector is
 * `L_init`.
 */
export class SingleZInner extends InnerModel {
  readonly lLevel: ReasoningModule;

  constructor(config: TrmConfig, generator: Generator) {
    super(config, generator);
    this.lLevel = this.registerStack('L_level', generator);
    this.registerInit('z_L', 'L_init', generator);
  }

  forward(carry: InnerCarry, batch: DeviceBatch): InnerOutput {
    const e = this.embed(batch);
    const { H_cycles } = this.config;
    let z = carry.z_L!;
    if (H_cycles > 1)
      z = noGrad(() => {
        let s = z;
        for (let c = 0; c < H_cycles - 1; c++) s = this.cycle(s, e);
        return s;
      });
    z = this.cycle(z, e);
    return this.output(z, { z_L: z });
  }

  private cycle(z: Tensor, e: Tensor): Tensor {
    for (let i = 0; i < this.config.L_cycles; i++) z = this.lLevel.forward(z, e, this.rotary);
    return this.lLevel.forward(z, null, this.rotary);
  }
}
