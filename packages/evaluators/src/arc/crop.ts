import type { Grid } from '../interface.js';

/** Side of the ARC canvas every grid is placed in (§11): 30×30 = `seq_len` 900. */
export const ARC_CANVAS_SIZE = 30;

/** Token of colour 0; colour `c` is token `c + 2` (PAD 0, EOS 1). */
export const ARC_COLOUR_OFFSET = 2;

/**
 * Crops a 30×30 token canvas to an ARC grid, as the reference's `_crop` does: the largest
 * top-left rectangle whose cells are all colour tokens (2..11), found by growing rows while
 * the usable width only shrinks at the first non-colour token of each new row; tokens are
 * shifted back to colours 0..9. A canvas whose first cell is not a colour yields `[]`.
 *
 * @param tokens flat tokens holding at least `offset + size²` values
 * @param offset index of the canvas's first token (row `b` of a batch: `b · seqLen`)
 * @param size canvas side, 30 for ARC
 */
export function cropArcGrid(tokens: ArrayLike<number>, offset = 0, size = ARC_CANVAS_SIZE): Grid {
  if (offset < 0 || offset + size * size > tokens.length) {
    throw new RangeError(
      `cropArcGrid: a ${size}×${size} canvas at offset ${offset} does not fit in ${tokens.length} tokens`,
    );
  }
  let maxArea = 0;
  let maxRows = 0;
  let maxCols = 0;
  let cols = size;
  for (let r = 1; r <= size; r++) {
    const rowStart = offset + (r - 1) * size;
    for (let c = 1; c <= cols; c++) {
      const x = tokens[rowStart + c - 1]!;
      if (x < ARC_COLOUR_OFFSET || x > ARC_COLOUR_OFFSET + 9) {
        cols = c - 1;
        break;
      }
    }
    const area = r * cols;
    if (area > maxArea) {
      maxArea = area;
      maxRows = r;
      maxCols = cols;
    }
  }
  const grid: Grid = [];
  for (let r = 0; r < maxRows; r++) {
    const row = new Array<number>(maxCols);
    const rowStart = offset + r * size;
    for (let c = 0; c < maxCols; c++) row[c] = tokens[rowStart + c]! - ARC_COLOUR_OFFSET;
    grid.push(row);
  }
  return grid;
}

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
