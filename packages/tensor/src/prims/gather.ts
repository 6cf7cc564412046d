/**
 * The indexing primitives: a row gather (embedding lookup) and a row scatter-add, each the
 * other's gradient. Arguments are assumed valid: `ops/indexing.ts` checks them.
 */
import { wgslType } from '../dtype.js';
import { encodeFill } from '../kernels/copy.js';
import {
  DETERMINISTIC_SCATTER_MAX_ROWS,
  encodeGatherRows,
  encodeScatterAddRows,
  encodeScatterAddRowsDeterministic,
  scatterChunks,
} from '../kernels/gather.js';
import { empty } from '../ops/util.js';
import { bufferOf, type Tensor } from '../tensor.js';
import { recordPrim } from './primitive.js';

/** Rows of the 2-D `table` picked by the i32 `ids`: shape `[...ids.shape, D]`. */
export function gather(table: Tensor, ids: Tensor): Tensor {
  const [rows, d] = table.shape as [number, number];
  const out = empty([...ids.shape, d], table.dtype, table.device);
  encodeGatherRows(
    table.device,
    wgslType(table.dtype),
    bufferOf(table),
    bufferOf(ids),
    bufferOf(out),
    {
      count: ids.size,
      d,
      rows,
    },
  );
  return recordPrim(out, 'gather', [table], { ids });
}

/** `out[ids[i]] += rows[i]` into `[numRows, D]` zeros (see `ops/indexing.ts` for the order). */
export function scatterAddRows(ids: Tensor, rows: Tensor, numRows: number): Tensor {
  const device = ids.device;
  const d = rows.shape[rows.rank - 1]!;
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
  return recordPrim(out, 'scatterAddRows', [rows], { ids });
}
