import { isGradEnabled, type Tensor, zeros } from '@trm/tensor';
import { Module } from '../module.js';

/**
 * The sparse per-puzzle embedding table `[numIds, dim]` (spec §7), stored as the persistent
 * buffer `weights` because the dense optimiser must not touch it.
 *
 * In training, `forward` copies the batch's rows into a batch-local leaf tensor
 * ({@link local}) that receives the gradient and remembers the ids ({@link localIds}); the
 * sign-SGD step then updates only those rows of the table. In evaluation the table is read
 * directly.
 */
export class SparsePuzzleEmbedding extends Module {
  readonly weights: Tensor;
  /** The batch-local copy of the last training forward (owned here; replaced each forward). */
  local: Tensor | null = null;
  /** The ids of the last training forward, on the host. */
  localIds: Int32Array | null = null;

  constructor(
    readonly numIds: number,
    readonly dim: number,
  ) {
    super();
    this.weights = this.registerBuffer('weights', zeros([numIds, dim]));
  }

  /** `ids`: i32 `[B]`; `hostIds`: the same ids on the host (the optimiser groups them there). */
  forward(ids: Tensor, hostIds?: Int32Array): Tensor {
    // Evaluation, and extra forwards without gradient (the ACT continue target), read the
    // table directly and leave the batch-local copy of the gradient-carrying forward alone.
    if (!this.training || !isGradEnabled()) return this.weights.gather(ids);
    this.local?.dispose();
    this.local = this.weights.gather(ids).detach().clone().keep().requireGrad(true);
    this.localIds = hostIds ?? null;
    return this.local;
  }

  override dispose(): void {
    this.local?.dispose();
    this.local = null;
    super.dispose();
  }
}
