import { customOp, type Tensor, tensor } from '@trm/tensor';
import { SIGN_SGD_WGSL } from './kernels.js';

/** Options of {@link SparseSignSGD} (reference: `puzzle_emb_lr`, `puzzle_emb_weight_decay`). */
export interface SignSgdOptions {
  weightDecay?: number;
  /**
   * Rows below this one are never changed, neither stepped nor decayed, even when the batch
   * uses them (default 0: every row trains). `trm adapt` trains only the rows it appended to a
   * trained table and leaves the checkpoint's own rows as they were.
   */
  firstRow?: number;
}

/**
 * The unique ids of a batch and, for each, the batch rows that carry it — the CSR layout the
 * sign-SGD kernel sums over. Exposed for tests and for gathering ids across devices.
 */
export function groupRowsById(
  ids: Int32Array,
  numRows: number,
): { unique: Int32Array; starts: Uint32Array; rows: Uint32Array } {
  const byId = new Map<number, number[]>();
  ids.forEach((id, row) => {
    if (!Number.isInteger(id) || id < 0 || id >= numRows) {
      throw new RangeError(
        `sign-SGD: id ${id} at batch row ${row} is outside the table's ${numRows} rows`,
      );
    }
    const list = byId.get(id);
    if (list) list.push(row);
    else byId.set(id, [row]);
  });
  const unique = Int32Array.from([...byId.keys()].sort((a, b) => a - b));
  const starts = new Uint32Array(unique.length + 1);
  const rows = new Uint32Array(ids.length);
  let at = 0;
  unique.forEach((id, u) => {
    starts[u] = at;
    for (const row of byId.get(id)!) rows[at++] = row;
  });
  starts[unique.length] = at;
  return { unique, starts, rows };
}

/**
 * The gradient of a sparse embedding table for one batch: the ids of the rows the batch used
 * (on the host, in batch order, repeats allowed) and the gradient of each used row,
 * `[ids.length, dim]`. What `SparsePuzzleEmbedding.sparseGrad()` returns.
 */
export interface SparseGrad {
  readonly ids: Int32Array;
  readonly rows: Tensor;
}

/**
 * Sign-SGD with decoupled weight decay for the sparse puzzle-embedding table: only rows whose
 * id appears in the batch change; gradient rows of a repeated id are summed first. Stateless
 * apart from the table itself, so resuming needs nothing beyond the weights.
 */
export class SparseSignSGD {
  readonly weightDecay: number;
  readonly firstRow: number;

  /** `table`: the f32 `[numRows, dim]` embedding table, updated in place. */
  constructor(
    readonly table: Tensor,
    options: SignSgdOptions = {},
  ) {
    this.weightDecay = options.weightDecay ?? 0.1;
    this.firstRow = options.firstRow ?? 0;
    if (!(this.weightDecay >= 0))
      throw new RangeError(`SparseSignSGD: weightDecay must be ≥ 0, got ${this.weightDecay}`);
    if (!(Number.isInteger(this.firstRow) && this.firstRow >= 0))
      throw new RangeError(
        `SparseSignSGD: firstRow must be a non-negative integer, got ${this.firstRow}`,
      );
    if (table.rank !== 2 || table.dtype !== 'f32') {
      throw new RangeError(
        `SparseSignSGD: the table must be an f32 [rows, dim] tensor, got ${table.describe()}`,
      );
    }
  }

  /** Updates the rows of `grad.ids` from `grad.rows` at learning rate `lr`. */
  step(grad: SparseGrad, lr: number): void {
    if (!Number.isFinite(lr))
      throw new RangeError(`SparseSignSGD: learning rate must be finite, got ${lr}`);
    const [numRows, dim] = this.table.shape as [number, number];
    const { ids, rows: gradRows } = grad;
    if (gradRows.shape.join() !== `${ids.length},${dim}`) {
      throw new RangeError(
        `SparseSignSGD: ${ids.length} ids need gradient rows [${ids.length}, ${dim}], got ${gradRows.describe()}`,
      );
    }
    if (ids.length === 0) return;
    const grouped = groupRowsById(ids, numRows);
    // The ids are sorted, so the trained ones are a tail; its CSR offsets still index `rows`.
    let u0 = 0;
    while (u0 < grouped.unique.length && grouped.unique[u0]! < this.firstRow) u0++;
    const unique = grouped.unique.subarray(u0);
    if (unique.length === 0) return;
    const starts = grouped.starts.subarray(u0);
    const { rows } = grouped;
    const device = this.table.device;
    const lists = [unique, Int32Array.from(starts), Int32Array.from(rows)].map((a) =>
      tensor(a, { dtype: 'i32', device }),
    );
    customOp({
      name: 'SparseSignSGD',
      code: SIGN_SGD_WGSL,
      params: [1 - lr * this.weightDecay, lr, { u32: unique.length }, { u32: dim }],
      varyingParams: true,
      inputs: [gradRows, ...lists],
      updates: [this.table],
      threads: unique.length * dim,
    });
    device.submit();
    for (const t of lists) t.dispose();
  }
}
