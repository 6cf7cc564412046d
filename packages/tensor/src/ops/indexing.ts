/** Row gather (embedding lookup) and row scatter-add, each the other's gradient: their checks. */
import { ShapeError } from '../errors.js';
import * as prim from '../prims/gather.js';
import type { Tensor } from '../tensor.js';
import { assertDType, assertSameDevice } from './util.js';

/**
 * Rows of a 2-D `table` ([rows, D]) picked by an i32 tensor of ids of any shape; the result
 * has shape `[...ids.shape, D]`. Ids outside `[0, rows)` give rows of zeros. The gradient of
 * `table` is `scatterAddRows(ids, grad, rows)`.
 */
export function gather(table: Tensor, ids: Tensor): Tensor {
  assertSameDevice('gather', [table, ids]);
  assertDType('gather (ids)', ids, ['i32']);
  if (table.rank !== 2) {
    throw new ShapeError(`gather: the table must be 2-D [rows, D], got ${table.describe()}.`);
  }
  return prim.gather(table, ids);
}

/**
 * Sums rows into a `[numRows, D]` f32 tensor of zeros: `out[ids[i]] += rows[i]`. `ids` is i32
 * of any shape and `rows` has shape `[...ids.shape, D]` (or `[ids.size, D]`). Ids outside
 * `[0, numRows)` are skipped. Repeated ids add up, in index order (bit-reproducible) for tables
 * of up to 1,024 rows such as token embeddings, in an unspecified order above that. This is the
 * gradient of {@link gather} and the per-id gradient sum of a sparse embedding optimiser.
 */
export function scatterAddRows(ids: Tensor, rows: Tensor, numRows: number): Tensor {
  assertSameDevice('scatterAddRows', [ids, rows]);
  assertDType('scatterAddRows (ids)', ids, ['i32']);
  assertDType('scatterAddRows (rows)', rows, ['f32']);
  const d = rows.rank === 0 ? 0 : rows.shape[rows.rank - 1]!;
  if (rows.rank === 0 || rows.size !== ids.size * d || !Number.isInteger(numRows) || numRows < 0) {
    throw new ShapeError(
      `scatterAddRows: rows ${rows.describe()} must be [...ids.shape, D] for ids ${ids.describe()}, and numRows a non-negative integer.`,
    );
  }
  return prim.scatterAddRows(ids, rows, numRows);
}
