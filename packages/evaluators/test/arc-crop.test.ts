import { placeArcPair } from '@trm/datasets';
import { describe, expect, it } from 'vitest';
import { arcGridToCanvas, cropArcGrid } from '../src/index.js';

describe('cropArcGrid', () => {
  it('recovers a grid placed on the canvas the way the builder does', () => {
    const g = [
      [0, 1, 2],
      [3, 4, 5],
    ];
    const canvas = arcGridToCanvas(g);
    expect(canvas[3]).toBe(1); // EOS right of row 0
    expect(canvas[60]).toBe(1); // EOS below column 0
    expect(canvas[63]).toBe(0); // the corner stays PAD
    expect(cropArcGrid(canvas)).toEqual(g);
  });

  it("lays grids out exactly like @trm/datasets' placeArcPair", () => {
    const g = [
      [9, 8, 7, 6],
      [5, 4, 3, 2],
      [1, 0, 1, 0],
    ];
    const flat = { data: Uint8Array.from(g.flat()), height: 3, width: 4 };
    const a = new Uint8Array(900);
    const b = new Uint8Array(900);
    placeArcPair(flat, flat, 0, 0, a, b, 0);
    expect([...arcGridToCanvas(g)]).toEqual([...a]);
    // A translated placement (train split) crops to nothing useful: the crop is top-left.
    placeArcPair(flat, flat, 2, 3, a, b, 0);
    expect(cropArcGrid(a)).toEqual([]);
  });

  it('reads a row of a batch at an offset', () => {
    const tokens = new Int32Array(1800);
    tokens.set(arcGridToCanvas([[7]]), 900);
    expect(cropArcGrid(tokens, 900)).toEqual([[7]]);
    expect(() => cropArcGrid(tokens, 901)).toThrow(RangeError);
  });

  it('keeps the largest top-left all-colour rectangle, width only shrinking', () => {
    const t = new Int32Array(900);
    // Row 0: 5 colours then EOS; row 1: 3 colours then EOS; row 2: EOS first.
    for (let c = 0; c < 5; c++) t[c] = 2 + c;
    t[5] = 1;
    for (let c = 0; c < 6; c++) t[30 + c] = 3; // a 4th..6th colour in row 1 is not reachable
    t[33] = 0;
    t[60] = 1;
    // Areas: 1×5 = 5, 2×3 = 6, 3×0 = 0 → 2×3.
    expect(cropArcGrid(t)).toEqual([
      [0, 1, 2],
      [1, 1, 1],
    ]);
  });

  it('treats tokens above 11 as non-colours and returns [] for a canvas starting with one', () => {
    const t = new Int32Array(900).fill(5);
    expect(cropArcGrid(t).length).toBe(30);
    expect(cropArcGrid(t)[29]!.length).toBe(30);
    t[0] = 12;
    expect(cropArcGrid(t)).toEqual([]);
  });
});
