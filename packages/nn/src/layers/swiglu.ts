import { type Generator, swiglu, type Tensor } from '@trm/tensor';
import { Module } from '../module.js';
import { Linear } from './linear.js';

/** The SwiGLU width of the reference: `round(expansion·h·2/3)` rounded up to a multiple of 256. */
export function swigluIntermediate(hidden: number, expansion: number): number {
  const inter = Math.round((expansion * hidden * 2) / 3);
  return Math.ceil(inter / 256) * 256;
}

/** `down(silu(gate) · up)` with `[gate, up] = gate_up_proj(x)` split in halves (spec §3). */
export class SwiGLU extends Module {
  readonly gateUpProj: Linear;
  readonly downProj: Linear;
  readonly intermediate: number;

  constructor(hidden: number, expansion: number, generator: Generator) {
    super();
    this.intermediate = swigluIntermediate(hidden, expansion);
    this.gateUpProj = this.registerModule(
      'gate_up_proj',
      new Linear(hidden, 2 * this.intermediate, generator),
    );
    this.downProj = this.registerModule(
      'down_proj',
      new Linear(this.intermediate, hidden, generator),
    );
  }

  forward(x: Tensor): Tensor {
    return this.downProj.forward(swiglu(this.gateUpProj.forward(x)));
  }
}
