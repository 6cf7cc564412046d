import { type Generator, noGrad, type Tensor } from '@trm/tensor';
import { HIER6_SLOTS } from '../architectures.js';
import type { TrmConfig } from '../config.js';
import type { ReasoningModule } from './block.js';
import { type DeviceBatch, type InnerCarry, InnerModel, type InnerOutput } from './inner.js';

/** The carry names of the low-level slots: `z_L1` … `z_L6`. */
const SLOTS = Array.from({ length: HIER6_SLOTS }, (_, i) => `z_L${i + 1}`);

/**
 * TRM with six low-level slots (`trm_hier6`). In each cycle the k-th low-level update
 * overwrites slot k from the sum of all six slots, `z_k ← L(Σ, z_H + e)`, and the high-level
 * update reads that sum, `z_H ← L(z_H, Σ)`. The sum is re-evaluated at every use, left to
 * right, and includes the slot being replaced; with `L_cycles` < 6 the later slots keep their
 * reset vectors for ever. One stack `L_level`, TRM's parameters; reset vectors `H_init`,
 * `L1_init` … `L6_init`.
 */
export class Hier6Inner extends InnerModel {
  readonly lLevel: ReasoningModule;

  constructor(config: TrmConfig, generator: Generator) {
    super(config, generator);
    this.lLevel = this.registerStack('L_level', generator);
    this.registerInit('z_H', 'H_init', generator);
    for (const [i, slot] of SLOTS.entries()) this.registerInit(slot, `L${i + 1}_init`, generator);
  }

  forward(carry: InnerCarry, batch: DeviceBatch): InnerOutput {
    const e = this.embed(batch);
    let state = [carry.z_H!, ...SLOTS.map((s) => carry[s]!)];
    if (this.config.H_cycles > 1)
      state = noGrad(() => {
        let s = state;
        for (let c = 0; c < this.config.H_cycles - 1; c++) s = this.cycle(s, e);
        return s;
      });
    state = this.cycle(state, e);
    const [zH, ...slots] = state as [Tensor, ...Tensor[]];
    return this.output(zH, {
      z_H: zH,
      ...Object.fromEntries(SLOTS.map((s, i) => [s, slots[i]!])),
    });
  }

  /** One cycle on `[z_H, z_L1, …, z_L6]`. */
  private cycle(state: readonly Tensor[], e: Tensor): Tensor[] {
    const [zH0, ...slotsIn] = state as [Tensor, ...Tensor[]];
    const slots = [...slotsIn];
    const sum = () => slots.slice(1).reduce((acc, z) => acc.add(z), slots[0]!);
    let zH = zH0;
    for (let k = 0; k < this.config.L_cycles; k++)
      slots[k] = this.lLevel.forward(sum(), zH.add(e), this.rotary);
    zH = this.lLevel.forward(zH, sum(), this.rotary);
    return [zH, ...slots];
  }
}
