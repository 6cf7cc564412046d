import { ARC_COLOUR_OFFSET, ARC_MAX_GRID_SIZE } from '@trm/datasets';
import type { Grid } from '../interface.js';

/** Side of the ARC canvas every grid is placed in (§11): 30×30 = `seq_len` 900. */
export const ARC_CANVAS_SIZE = ARC_MAX_GRID_SIZE;

/**
 * The reference's `_crop` of a token canvas to a grid: `cropArcGrid` of `@trm/datasets`,
 * re-exported here beside its inverse {@link arcGridToCanvas}.
 */
export { cropArcGrid } from '@trm/datasets';

/**
 * Places an ARC grid at the top-left of a 30×30 token canvas the way the builder writes the
 * test split (§11): colours as `c + 2`, EOS (1) on the row just below and the column just
 * right of the grid within its extent, PAD (0) elsewhere. Handy for building test batches.
 */
export function arcGridToCanvas(grid: Grid, size = ARC_CANVAS_SIZE): Int32Array {
  const h = grid.length;
  const w = grid[0]?.length ?? 0;
  if (h > size || w > size)
    throw new RangeError(`arcGridToCanvas: a ${h}×${w} grid exceeds ${size}×${size}`);
  const out = new Int32Array(size * size);
  for (let r = 0; r < h; r++) {
    const row = grid[r]!;
    for (let c = 0; c < w; c++) out[r * size + c] = row[c]! + ARC_COLOUR_OFFSET;
    if (w < size) out[r * size + w] = 1;
  }
  if (h < size) for (let c = 0; c < w; c++) out[h * size + c] = 1;
  return out;
}
