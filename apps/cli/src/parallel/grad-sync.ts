import { concat, noGrad, type Tensor } from '@trm/tensor';
import type { Collective } from './collective.js';

/** Timing of the last gradient all-reduce, in milliseconds. */
export interface AllReduceTiming {
  /** GPU → host copy of the flat gradient. */
  readMs: number;
  /** The shared-memory reduction (including waiting for the slowest rank). */
  reduceMs: number;
  /** Host → GPU copy back into every gradient. */
  writeMs: number;
  totalMs: number;
}

/**
 * Keeps the replicas of one data-parallel run in step: all ranks start from rank 0's weights,
 * and the dense gradients are summed over ranks before each optimiser step with a single
 * all-reduce over their concatenation.
 */
export class GradientSync {
  /** Timing of the most recent {@link allReduceGradients}. */
  last: AllReduceTiming = { readMs: 0, reduceMs: 0, writeMs: 0, totalMs: 0 };

  constructor(private readonly comm: Collective) {}

  /** Overwrites every tensor with rank 0's values (one broadcast of their concatenation). */
  async broadcastFromRoot(tensors: readonly Tensor[]): Promise<void> {
    const total = tensors.reduce((n, t) => n + t.size, 0);
    const host = new Float32Array(total);
    if (this.comm.rank === 0) {
      let at = 0;
      for (const t of tensors) {
        host.set((await t.data()) as Float32Array, at);
        at += t.size;
      }
    }
    await this.comm.broadcast(host);
    if (this.comm.rank !== 0) {
      let at = 0;
      for (const t of tensors) {
        t.assign(host.subarray(at, at + t.size));
        at += t.size;
      }
    }
  }

  /**
   * Sums the gradients of `params` over all ranks, in place. Every rank runs the same graph,
   * so the same parameters have gradients everywhere; their layout is checked all the same,
   * because a mismatch would silently mix up tensors.
   */
  async allReduceGradients(params: readonly Tensor[]): Promise<void> {
    const t0 = performance.now();
    const grads = params.flatMap((p) => (p.grad ? [p.grad] : []));
    const total = grads.reduce((n, g) => n + g.size, 0);
    const layout = Float64Array.of(total, grads.length);
    const summed = await this.comm.allReduceSum(layout.slice());
    if (
      summed[0] !== total * this.comm.worldSize ||
      summed[1] !== grads.length * this.comm.worldSize
    )
      throw new Error(
        `rank ${this.comm.rank}: the ranks disagree on which parameters have gradients (${grads.length} tensors, ${total} values here)`,
      );
    if (total === 0) return;
    // One read of all gradients: their concatenation, flattened.
    const flat = noGrad(() => concat(grads.map((g) => g.reshape([g.size]))));
    const host = (await flat.data()) as Float32Array;
    flat.dispose();
    const t1 = performance.now();
    await this.comm.allReduceSum(host);
    const t2 = performance.now();
    let at = 0;
    for (const g of grads) {
      g.assign(host.subarray(at, at + g.size));
      at += g.size;
    }
    grads[0]!.device.submit();
    const t3 = performance.now();
    this.last = { readMs: t1 - t0, reduceMs: t2 - t1, writeMs: t3 - t2, totalMs: t3 - t0 };
  }
}
