import type { Rng } from '../rng.js';

/** Box geometry of a Sudoku size: `n = boxRows * boxCols`. */
export interface SudokuGeometry {
  n: number;
  boxRows: number;
  boxCols: number;
}

/** Supported sizes: 4×4 (2×2 boxes), 6×6 (2×3 boxes), 9×9 (3×3 boxes). */
export function sudokuGeometry(n: number): SudokuGeometry {
  if (n === 4) return { n, boxRows: 2, boxCols: 2 };
  if (n === 6) return { n, boxRows: 2, boxCols: 3 };
  if (n === 9) return { n, boxRows: 3, boxCols: 3 };
  throw new RangeError(`unsupported Sudoku size ${n} (supported: 4, 6, 9)`);
}

/**
 * Draws one validity-preserving Sudoku augmentation into preallocated scratch arrays, with
 * no allocation, so a million of them cost only arithmetic:
 * - `tokenMap`: token → token, permuting the digit tokens 2..n+1 (pad 0 and blank 1 fixed);
 * - `gather`: output cell → source cell: optional transpose (only for square boxes, where it
 *   keeps boxes boxes), then band/row and stack/column shuffles.
 */
export class SudokuAugmenter {
  readonly tokenMap: Uint8Array;
  readonly gather: Int32Array;
  private readonly rowPerm: Int32Array;
  private readonly colPerm: Int32Array;
  private readonly scratch: Int32Array;

  constructor(readonly geometry: SudokuGeometry) {
    const { n } = geometry;
    this.tokenMap = new Uint8Array(n + 2);
    this.gather = new Int32Array(n * n);
    this.rowPerm = new Int32Array(n);
    this.colPerm = new Int32Array(n);
    this.scratch = new Int32Array(n);
  }

  /** Draws a fresh augmentation from `rng`. */
  draw(rng: Rng): void {
    const { n, boxRows, boxCols } = this.geometry;
    const p = this.scratch;
    for (let i = 0; i < n; i++) p[i] = i;
    rng.shuffle(p);
    this.tokenMap[0] = 0;
    this.tokenMap[1] = 1;
    for (let d = 0; d < n; d++) this.tokenMap[d + 2] = p[d]! + 2;
    const transpose = boxRows === boxCols && rng.nextFloat() < 0.5;
    blockPermutation(rng, this.rowPerm, n / boxRows, boxRows, p);
    blockPermutation(rng, this.colPerm, n / boxCols, boxCols, p);
    for (let i = 0; i < n; i++) {
      const r = this.rowPerm[i]!;
      for (let j = 0; j < n; j++) {
        const c = this.colPerm[j]!;
        this.gather[i * n + j] = transpose ? c * n + r : r * n + c;
      }
    }
  }

  /** Writes the augmented `src` (tokens, length n²) into `dst` at `dstOffset`. */
  apply(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number): void {
    const g = this.gather;
    const m = this.tokenMap;
    for (let k = 0; k < g.length; k++) dst[dstOffset + k] = m[src[srcOffset + g[k]!]!]!;
  }
}

/** Shuffles `blocks` blocks of `size` lines, and the lines inside each block. */
function blockPermutation(
  rng: Rng,
  out: Int32Array,
  blocks: number,
  size: number,
  tmp: Int32Array,
): void {
  for (let b = 0; b < blocks; b++) tmp[b] = b;
  rng.shuffleRange(tmp, 0, blocks);
  let k = 0;
  for (let b = 0; b < blocks; b++) {
    const base = tmp[b]! * size;
    const start = k;
    for (let i = 0; i < size; i++) out[k++] = base + i;
    rng.shuffleRange(out, start, k);
  }
}
