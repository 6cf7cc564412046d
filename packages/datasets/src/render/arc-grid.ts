import { ARC_COLOUR_OFFSET } from '../builders/arc.js';
import { ARC_MAX_GRID_SIZE, type ArcGrid } from '../format/arc-json.js';

/** Whether token `t` is one of the ten colours (tokens 2..11). */
function isColour(t: number): boolean {
  return t >= ARC_COLOUR_OFFSET && t <= ARC_COLOUR_OFFSET + 9;
}

/**
 * Crops a 30×30 token canvas to an ARC grid, as the reference's `_crop` does: the largest
 * top-left rectangle whose cells are all colour tokens (2..11), found by growing rows while
 * the usable width only shrinks at the first non-colour token of each new row; tokens are
 * shifted back to colours 0..9. A canvas whose first cell is not a colour yields `[]`. This is
 * how the evaluator reads predictions and test inputs; see {@link arcGridFromCanvas} for
 * grids placed anywhere on the canvas (the train split's).
 *
 * @param tokens flat tokens holding at least `offset + size²` values
 * @param offset index of the canvas's first token (row `b` of a batch: `b · seqLen`)
 * @param size canvas side, 30 for ARC
 * @throws RangeError when the canvas does not fit in `tokens`
 */
export function cropArcGrid(
  tokens: ArrayLike<number>,
  offset = 0,
  size = ARC_MAX_GRID_SIZE,
): ArcGrid {
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
      if (!isColour(tokens[rowStart + c - 1]!)) {
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
  const grid: ArcGrid = [];
  for (let r = 0; r < maxRows; r++) {
    const row = new Array<number>(maxCols);
    const rowStart = offset + r * size;
    for (let c = 0; c < maxCols; c++) row[c] = tokens[rowStart + c]! - ARC_COLOUR_OFFSET;
    grid.push(row);
  }
  return grid;
}

/**
 * The grid on a 30×30 ARC canvas wherever it was placed: the bounding box of the colour tokens
 * (2..11), shifted back to colours 0..9 (a non-colour cell inside the box reads as 0). Unlike
 * {@link cropArcGrid}, which keeps to the top-left corner as the reference's evaluator does,
 * this also finds the translated grids of the train split; `trm show` draws with it.
 *
 * @param tokens one canvas, `side²` tokens
 * @param side canvas side, 30 for ARC
 */
export function arcGridFromCanvas(tokens: ArrayLike<number>, side = ARC_MAX_GRID_SIZE): ArcGrid {
  let r0 = side;
  let c0 = side;
  let r1 = -1;
  let c1 = -1;
  for (let k = 0; k < side * side; k++) {
    if (!isColour(tokens[k]!)) continue;
    const r = Math.floor(k / side);
    const c = k % side;
    r0 = Math.min(r0, r);
    r1 = Math.max(r1, r);
    c0 = Math.min(c0, c);
    c1 = Math.max(c1, c);
  }
  const grid: ArcGrid = [];
  for (let r = r0; r <= r1; r++) {
    const row: number[] = [];
    for (let c = c0; c <= c1; c++) {
      const t = tokens[r * side + c]!;
      row.push(isColour(t) ? t - ARC_COLOUR_OFFSET : 0);
    }
    grid.push(row);
  }
  return grid;
}
