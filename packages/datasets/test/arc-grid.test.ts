import { describe, expect, it } from 'vitest';
import { placeArcPair } from '../src/builders/arc.js';
import { arcGridFromCanvas, cropArcGrid } from '../src/render/arc-grid.js';

const grid = [
  [9, 8, 7, 6],
  [5, 4, 3, 2],
  [1, 0, 1, 0],
];
const flat = { data: Uint8Array.from(grid.flat()), height: 3, width: 4 };

/** The input canvas of `grid` placed `padRow` rows down and `padCol` columns right. */
function canvas(padRow: number, padCol: number): Uint8Array {
  const input = new Uint8Array(900);
  placeArcPair(flat, flat, padRow, padCol, input, new Uint8Array(900), 0);
  return input;
}

describe('ARC canvases back to grids', () => {
  it('cropArcGrid reads a grid at the top-left corner, also at an offset into a batch', () => {
    expect(cropArcGrid(canvas(0, 0))).toEqual(grid);
    const batch = new Int32Array(1800);
    batch.set(canvas(0, 0), 900);
    expect(cropArcGrid(batch, 900)).toEqual(grid);
    expect(() => cropArcGrid(batch, 901)).toThrow(RangeError);
  });

  it('cropArcGrid keeps to the corner; arcGridFromCanvas finds a translated grid', () => {
    expect(cropArcGrid(canvas(2, 3))).toEqual([]);
    expect(arcGridFromCanvas(canvas(2, 3))).toEqual(grid);
    expect(arcGridFromCanvas(canvas(0, 0))).toEqual(grid);
    expect(arcGridFromCanvas(new Uint8Array(900))).toEqual([]);
  });
});
