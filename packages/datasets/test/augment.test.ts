import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  augmentedName,
  augmentGrid,
  gridHash,
  inverseAugment,
  parseAugmentedName,
} from '../src/augment/arc.js';
import {
  colourMapFromString,
  colourMapToString,
  inverseColourMap,
  randomColourMap,
} from '../src/augment/colour.js';
import {
  DIHEDRAL_INVERSE,
  dihedralFlat,
  dihedralTransform,
  inverseDihedral,
} from '../src/augment/dihedral.js';
import { SudokuAugmenter, sudokuGeometry } from '../src/augment/sudoku.js';
import { sudokuSolutionProblem } from '../src/builders/sudoku-codec.js';
import { Rng } from '../src/rng.js';
import { FIXTURES, sudokuTokens } from './helpers.js';

const fixture = JSON.parse(readFileSync(join(FIXTURES, 'dihedral.json'), 'utf8')) as {
  input: number[][];
  outputs: number[][][];
};

describe('dihedral transforms', () => {
  it('match numpy (rot90 counter-clockwise, fliplr, flipud, T, anti-transpose) on a 3×4 grid', () => {
    for (let t = 0; t < 8; t++)
      expect(dihedralTransform(fixture.input, t)).toEqual(fixture.outputs[t]);
  });

  it('are undone by the inverse table [0, 3, 2, 1, 4, 5, 6, 7]', () => {
    expect(DIHEDRAL_INVERSE).toEqual([0, 3, 2, 1, 4, 5, 6, 7]);
    for (let t = 0; t < 8; t++)
      expect(inverseDihedral(dihedralTransform(fixture.input, t), t)).toEqual(fixture.input);
  });

  it('agree between the row and flat forms', () => {
    const flat = Uint8Array.from(fixture.input.flat());
    for (let t = 0; t < 8; t++) {
      const f = dihedralFlat(flat, 3, 4, t);
      expect(Array.from(f.data)).toEqual(fixture.outputs[t]!.flat());
      expect([f.height, f.width]).toEqual([
        fixture.outputs[t]!.length,
        fixture.outputs[t]![0]!.length,
      ]);
    }
    expect(() => dihedralTransform(fixture.input, 8)).toThrow(RangeError);
  });
});

describe('ARC augmentation helpers', () => {
  it('keeps colour 0, permutes 1..9 and inverts', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 20; i++) {
      const m = randomColourMap(rng);
      expect(m[0]).toBe(0);
      expect(Array.from(m).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const inv = inverseColourMap(m);
      for (let c = 0; c < 10; c++) expect(inv[m[c]!]).toBe(c);
      expect(colourMapFromString(colourMapToString(m))).toEqual(m);
    }
    expect(() => colourMapFromString('0123456788')).toThrow(/not a permutation/);
  });

  it('names variants name|||t<t>|||<map> and maps them back', () => {
    const map = colourMapFromString('0918273645');
    const grid = [
      [0, 1, 2],
      [3, 4, 5],
    ];
    for (let t = 0; t < 8; t++) {
      const name = augmentedName('abc123', t, map);
      expect(name).toBe(`abc123|||t${t}|||0918273645`);
      const parsed = parseAugmentedName(name);
      expect(parsed.name).toBe('abc123');
      expect(parsed.transform).toBe(t);
      const { name: original, invert } = inverseAugment(name);
      expect(original).toBe('abc123');
      expect(invert(augmentGrid(grid, t, map))).toEqual(grid);
    }
    expect(inverseAugment('plain').invert(grid)).toEqual(grid);
  });

  it('hashes grids like the reference (sha256 of shape bytes + cells)', () => {
    // Value computed with the reference's hashlib recipe in Python.
    const expected = '8a85482c8c93e41992c7fef9efca7b25d8e75bcc87bedf3e5f203700a34e9a6a';
    const grid = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    expect(gridHash(grid)).toBe(expected);
    expect(gridHash({ data: Uint8Array.from([1, 2, 3, 4, 5, 6]), height: 2, width: 3 })).toBe(
      expected,
    );
    expect(gridHash([[1, 2, 3, 4, 5, 6]])).not.toBe(expected);
  });
});

describe('Sudoku augmentation', () => {
  const solution =
    '534678912672195348198342567859761423426853791713924856961537284287419635345286179';
  const question =
    '53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79';

  it('keeps every augmented 9×9 solution valid and consistent with its puzzle', () => {
    const aug = new SudokuAugmenter(sudokuGeometry(9));
    const rng = new Rng(11);
    const q = sudokuTokens(question);
    const a = sudokuTokens(solution);
    const qq = new Uint8Array(81);
    const aa = new Uint8Array(81);
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      aug.draw(rng);
      aug.apply(q, 0, qq, 0);
      aug.apply(a, 0, aa, 0);
      expect(sudokuSolutionProblem(aa, 9)).toBeUndefined();
      for (let k = 0; k < 81; k++) if (qq[k] !== 1) expect(qq[k]).toBe(aa[k]);
      expect(qq.filter((t) => t === 1).length).toBe(q.filter((t) => t === 1).length);
      seen.add(Buffer.from(aa).toString('hex'));
    }
    expect(seen.size).toBeGreaterThan(490);
  });

  it('never transposes 6×6 grids (2×3 boxes would become 3×2)', () => {
    const aug = new SudokuAugmenter(sudokuGeometry(6));
    const rng = new Rng(1);
    const sol6 = sudokuTokens('123456456123231564564231312645645312');
    expect(sudokuSolutionProblem(sol6, 6)).toBeUndefined();
    const out = new Uint8Array(36);
    for (let i = 0; i < 300; i++) {
      aug.draw(rng);
      aug.apply(sol6, 0, out, 0);
      expect(sudokuSolutionProblem(out, 6)).toBeUndefined();
    }
  });
});
