/** Row gather (embedding lookup) and row scatter-add, each the other's gradient. */
import { record } from '../autograd/tape.js';
import { wgslType } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { encodeFill } from '../kernels/copy.js';
import {
  DETERMINISTIC_SCATTER_MAX_ROWS,
  encodeGatherRows,
  encodeScatterAddRows,
  encodeScatterAddRowsDeterministic,
  scatterChunks,
} from '../kernels/gather.js';
import { bufferOf, type Tensor } from '../tensor.js';
import { assertDType, assertSameDevice, empty } from './util.js';

/**
 * Rows of a 2-D `table` ([rows, D]) picked by an i32 tensor of ids of any shape; the result
 * has shape `[...ids.shape, D]`. Ids outside `[0, rows)` give rows of zeros. The gradient of
 * `table` is `scatterAddRows(ids, grad, rows)`.
 */
export function gather(table: Tensor, ids: Tensor): Tensor {
  const device = assertSameDevice('gather', [table, ids]);
  assertDType('gather (ids)', ids, ['i32']);
  if (table.rank !== 2) {
    throw new ShapeError(`gather: the table must be 2-D [rows, D], got ${table.describe()}.`);
  }
  const [rows, d] = table.shape as [number, number];
  const out = empty([...ids.shape, d], table.dtype, device);
  encodeGatherRows(device, wgslType(table.dtype), bufferOf(table), bufferOf(ids), bufferOf(out), {
    count: ids.size,
    d,
    rows,
  });
  record(out, 'gather', [table], (g) => [scatterAddRows(ids, g, rows)]);
  return out;
}

/**
 * Sums rows into a `[numRows, D]` f32 tensor of zeros: `out[ids[i]] += rows[i]`. `ids` is i32
 * of any shape and `rows` has shape `[...ids.shape, D]` (or `[ids.size, D]`). Ids outside
 * `[0, numRows)` are skipped. Repeated ids add up, in index order (bit-reproducible) for tables
 * of up to 1,024 rows such as token embeddings, in an unspecified order above that. This is the
 * gradient of {@link gather} and the per-id gradient sum of a sparse embedding optimiser.
 */
export function scatterAddRows(ids: Tensor, rows: Tensor, numRows: number): Tensor {
  const device = assertSameDevice('scatterAddRows', [ids, rows]);
  assertDType('scatterAddRows (ids)', ids, ['i32']);
  assertDType('scatterAddRows (rows)', rows, ['f32']);
  const d = rows.rank === 0 ? 0 : rows.shape[rows.rank - 1]!;
  if (rows.rank === 0 || rows.size !== ids.size * d || !Number.isInteger(numRows) || numRows < 0) {
    throw new ShapeError(
      `scatterAddRows: rows ${rows.describe()} must be [...ids.shape, D] for ids ${ids.describe()}, and numRows a non-negative integer.`,
    );
  }
  const out = empty([numRows, d], 'f32', device);
  encodeFill(device, bufferOf(out), out.size, 0);
  const dims = { count: ids.size, d, numRows };
  if (numRows <= DETERMINISTIC_SCATTER_MAX_ROWS) {
    const partial = empty([scatterChunks(ids.size).chunks * numRows * d], 'f32', device);
    encodeScatterAddRowsDeterministic(
      device,
      bufferOf(rows),
      bufferOf(ids),
      bufferOf(out),
      bufferOf(partial),
      dims,
    );
    partial.dispose();
  } else {
    encodeScatterAddRows(device, bufferOf(rows), bufferOf(ids), bufferOf(out), dims);
  }
  record(out, 'scatterAddRows', [rows], (g) => [gather(g, ids).reshape(rows.shape)]);
  return out;
}
