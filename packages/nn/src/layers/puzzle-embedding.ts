import { isGradEnabled, type Tensor, zeros } from '@trm/tensor';
import { Module } from '../module.js';

/**
 * The sparse per-puzzle embedding table `[numIds, dim]`, stored as the persistent buffer
 * `weights` because the dense optimiser must not touch it.
 *
 * In training, `forward` copies the batch's rows into a batch-local leaf tensor that receives
 * the gradient; after `backward()`, {@link sparseGrad} gives the ids and their gradient rows,
 * which a sparse optimiser (sign-SGD) applies to those rows of the table only. In evaluation
 * the table is read directly.
 */
export class SparsePuzzleEmbedding extends Module {
  readonly weights: Tensor;
  /** The batch-local copy of the last training forward (owned here; replaced each forward). */
  private local: Tensor | null = null;
  /** The ids of the last training forward, on the host. */
  private localIds: Int32Array | null = null;
  /** A gradient handed back by {@link holdGradient} (owned here until the next batch). */
  private held: { ids: Int32Array; rows: Tensor } | null = null;

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

  /**
   * The gradient of the last training forward, as the ids it used (host, batch order) and one
   * gradient row per id, `[ids.length, dim]`; null before a backward reached it, or when the
   * forward was given no host ids. The rows tensor belongs to this layer and is replaced by the
   * next training forward.
   */
  sparseGrad(): { ids: Int32Array; rows: Tensor } | null {
    if (this.held) return this.held;
    const rows = this.local?.grad;
    if (!rows || !this.localIds) return null;
    return { ids: this.localIds, rows };
  }

  /**
   * Takes the gradient rows of the last training forward (null if none) and frees the
   * batch-local copy: a step compiled with `compile()` returns them, since nothing it makes may
   * outlive it; {@link holdGradient} then gives them back to this layer for the optimiser.
   */
  takeGradient(): Tensor | null {
    const rows = this.local?.grad?.detach() ?? null;
    this.local?.dispose();
    this.local = null;
    this.localIds = null;
    return rows;
  }

  /** Makes `rows` (taken by {@link takeGradient}) for `ids` what {@link sparseGrad} returns. */
  holdGradient(ids: Int32Array, rows: Tensor): void {
    this.held?.rows.dispose();
    this.held = { ids, rows };
  }

  /** Frees the batch-local copy of the last training forward and its gradient. */
  releaseBatch(): void {
    this.local?.dispose();
    this.local = null;
    this.localIds = null;
    this.held?.rows.dispose();
    this.held = null;
  }

  override dispose(): void {
    this.releaseBatch();
    super.dispose();
  }
}
