import { type Generator, noGrad } from '@trm/tensor';
import type { TrmConfig } from '../config.js';
import type { ReasoningModule } from './block.js';
import { type DeviceBatch, type InnerCarry, InnerModel, type InnerOutput } from './inner.js';

/**
 * The Hierarchical Reasoning Model's inner model (`hrm`): two independent stacks, `L_level`
 * (`L_layers` blocks) and `H_level` (`H_layers` blocks). Of its `H_cycles·L_cycles` low-level
 * updates `z_L ← L(z_L, z_H + e)` and `H_cycles` high-level updates `z_H ← H(z_H, z_L)`, only
 * the final one of each carries gradient (the one-step gradient); the gradient stops at their
 * detached inputs, `e` aside. Reset vectors `H_init`, `L_init`.
 */
export class HrmInner extends InnerModel {
  readonly hLevel: ReasoningModule;
  readonly lLevel: ReasoningModule;

  constructor(config: TrmConfig, generator: Generator) {
    super(config, generator);
    this.hLevel = this.registerStack('H_level', generator, config.H_layers);
    this.lLevel = this.registerStack('L_level', generator);
    this.registerInit('z_H', 'H_init', generator);
    this.registerInit('z_L', 'L_init', generator);
  }

  forward(carry: InnerCarry, batch: DeviceBatch): InnerOutput {
    const e = this.embed(batch);
    const { H_cycles, L_cycles } = this.config;
    const [h0, l0] = noGrad(() => {
      let zH = carry.z_H!;
      let zL = carry.z_L!;
      for (let i = 0; i < H_cycles; i++) {
        for (let j = 0; j < L_cycles; j++) {
          if (i === H_cycles - 1 && j === L_cycles - 1) continue;
          zL = this.lLevel.forward(zL, zH.add(e), this.rotary);
        }
        if (i !== H_cycles - 1) zH = this.hLevel.forward(zH, zL, this.rotary);
      }
      return [zH, zL] as const;
    });
    const zL = this.lLevel.forward(l0, h0.add(e), this.rotary);
    const zH = this.hLevel.forward(h0, zL, this.rotary);
    return this.output(zH, { z_H: zH, z_L: zL });
  }
}
