import { ARC_MAX_GRID_SIZE, type ArcGrid } from '../format/arc-json.js';

/**
 * Recovers an ARC grid from a 900-token canvas the way the reference evaluator does: the
 * largest top-left rectangle whose cells are all colour tokens (2..11), minus 2.
 */
export function cropArcGrid(tokens: ArrayLike<number>): ArcGrid {
  const n = ARC_MAX_GRID_SIZE;
  let maxArea = 0;
  let best: [number, number] = [0, 0];
  let numC = n;
  for (let numR = 1; numR <= n; numR++) {
    for (let c = 1; c <= numC; c++) {
      const x = tokens[(numR - 1) * n + c - 1]!;
      if (x < 2 || x > 11) {
        numC = c - 1;
        break;
      }
    }
    const area = numR * numC;
    if (area > maxArea) {
      maxArea = area;
      best = [numR, numC];
    }
  }
  const out: ArcGrid = [];
  for (let r = 0; r < best[0]; r++) {
    const row: number[] = [];
    for (let c = 0; c < best[1]; c++) row.push(tokens[r * n + c]! - 2);
    out.push(row);
  }
  return out;
}
