import { type Device, gridFor } from '@trm/tensor';
import { SIGN_SGD_WGSL } from './kernels.js';

/** Options of {@link SparseSignSGD} (reference: `puzzle_emb_lr`, `puzzle_emb_weight_decay`). */
export interface SignSgdOptions {
  weightDecay?: number;
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
 * Sign-SGD with decoupled weight decay for the sparse puzzle-embedding table (spec §7): only
 * rows whose id appears in the batch change; gradient rows of a repeated id are summed first.
 * Stateless apart from the table itself, so resuming needs nothing beyond the weights.
 */
export class SparseSignSGD {
  readonly weightDecay: number;
  private readonly pipeline: GPUComputePipeline;

  constructor(
    private readonly device: Device,
    options: SignSgdOptions = {},
  ) {
    this.weightDecay = options.weightDecay ?? 0.1;
    if (!(this.weightDecay >= 0))
      throw new RangeError(`SparseSignSGD: weightDecay must be ≥ 0, got ${this.weightDecay}`);
    this.pipeline = device.pipeline(SIGN_SGD_WGSL, 'main', 'SparseSignSGD');
  }

  /**
   * Updates `table` ([numRows, dim] f32) from `gradRows` ([ids.length, dim] f32, the gradient of
   * the batch-local copy) at learning rate `lr`.
   */
  step(
    table: GPUBuffer,
    numRows: number,
    dim: number,
    ids: Int32Array,
    gradRows: GPUBuffer,
    lr: number,
  ): void {
    if (!Number.isFinite(lr))
      throw new RangeError(`SparseSignSGD: learning rate must be finite, got ${lr}`);
    if (ids.length === 0) return;
    const { unique, starts, rows } = groupRowsById(ids, numRows);
    const scalars = new ArrayBuffer(16);
    new Float32Array(scalars, 0, 2).set([1 - lr * this.weightDecay, lr]);
    new Uint32Array(scalars, 8, 2).set([unique.length, dim]);
    const buffers = [
      this.device.upload(new Uint8Array(scalars), 'signsgd.scalars'),
      this.device.upload(unique, 'signsgd.ids'),
      this.device.upload(starts, 'signsgd.starts'),
      this.device.upload(rows, 'signsgd.rows'),
    ] as const;
    this.device.dispatch(
      this.pipeline,
      [
        buffers[0],
        { buffer: table, size: numRows * dim * 4 },
        { buffer: gradRows, size: ids.length * dim * 4 },
        buffers[1],
        buffers[2],
        buffers[3],
      ],
      gridFor(unique.length * dim, this.device.limits.maxComputeWorkgroupsPerDimension),
    );
    this.device.submit();
    for (const b of buffers) b.destroy();
  }
}
