import { forEachPuzzleCsvRow, type PuzzleCsvRow } from '../csv/reader.js';
import { SourceDataError } from '../errors.js';
import type { Rng } from '../rng.js';

/** How a puzzle family turns CSV text into tokens. */
export interface GridCsvCodec {
  /** Family name for messages, e.g. "Sudoku". */
  kind: string;
  /** Checks the question length of the first row; returns the cell count or an error. */
  cellsFor(length: number): number | string;
  /** Token of a question / answer character code, or -1 if the character is not allowed. */
  questionToken(code: number, cells: number): number;
  answerToken(code: number, cells: number): number;
  /** Extra per-row check on the encoded tokens (e.g. the answer solves the question). */
  checkRow?(question: Uint8Array, answer: Uint8Array, cells: number): string | undefined;
}

/** Encoded puzzles: row `i` occupies `[i * cells, (i + 1) * cells)` of both arrays. */
export interface GridCsvData {
  /** Data rows in the file, before filtering and subsampling. */
  rows: number;
  count: number;
  cells: number;
  inputs: Uint8Array;
  labels: Uint8Array;
}

/** Filters shared by the Sudoku and Maze builders. */
export interface GridCsvSelection {
  /** Keep only rows with `rating >= minDifficulty`. */
  minDifficulty?: number;
  /** Random subset (without replacement, random order) of the eligible rows. */
  subsampleSize?: number;
  /** Required cells per row (e.g. those of the train split when loading test). */
  cells?: number;
  rng: Rng;
}

/**
 * Loads and validates a puzzle CSV in two streaming passes: the first checks every row and
 * counts the eligible ones, the second encodes only the selected rows. Memory is therefore
 * proportional to the selection, not to the source (the hub's Sudoku train set has 3.8M rows).
 */
export function loadGridCsv(path: string, codec: GridCsvCodec, sel: GridCsvSelection): GridCsvData {
  if (
    sel.subsampleSize !== undefined &&
    !(Number.isInteger(sel.subsampleSize) && sel.subsampleSize >= 1)
  )
    throw new RangeError(`subsampleSize must be a positive integer, got ${sel.subsampleSize}`);
  let cells = sel.cells ?? -1;
  let rows = 0;
  let eligible = 0;
  // Scratch rows of the first pass, as long as the longest question seen (encode writes only
  // rows of exactly `cells` characters).
  let q = new Uint8Array(0);
  let a = new Uint8Array(0);
  const isEligible = (row: PuzzleCsvRow) =>
    sel.minDifficulty === undefined || row.rating >= sel.minDifficulty;

  const encode = (
    row: PuzzleCsvRow,
    qOut: Uint8Array,
    qOff: number,
    aOut: Uint8Array,
    aOff: number,
  ) => {
    if (cells < 0) {
      const c = codec.cellsFor(row.question.length);
      if (typeof c === 'string') throw rowError(path, row, c);
      cells = c;
    }
    for (const [field, text] of [
      ['question', row.question],
      ['answer', row.answer],
    ] as const) {
      if (text.length !== cells) {
        throw rowError(path, row, `${field} has ${text.length} characters, expected ${cells}`);
      }
    }
    for (let k = 0; k < cells; k++) {
      const tq = codec.questionToken(row.question.charCodeAt(k), cells);
      if (tq < 0)
        throw rowError(
          path,
          row,
          `question has invalid character ${JSON.stringify(row.question[k])} at position ${k}`,
        );
      qOut[qOff + k] = tq;
      const ta = codec.answerToken(row.answer.charCodeAt(k), cells);
      if (ta < 0)
        throw rowError(
          path,
          row,
          `answer has invalid character ${JSON.stringify(row.answer[k])} at position ${k}`,
        );
      aOut[aOff + k] = ta;
    }
    if (codec.checkRow) {
      const problem = codec.checkRow(
        qOut.subarray(qOff, qOff + cells),
        aOut.subarray(aOff, aOff + cells),
        cells,
      );
      if (problem) throw rowError(path, row, problem);
    }
  };

  forEachPuzzleCsvRow(path, (row) => {
    if (q.length < row.question.length) {
      q = new Uint8Array(row.question.length);
      a = new Uint8Array(row.question.length);
    }
    encode(row, q, 0, a, 0);
    rows++;
    if (isEligible(row)) eligible++;
  });
  if (cells < 0) cells = 0;

  // slot[ordinal] = output position of the ordinal-th eligible row, or -1 if not selected.
  let count = eligible;
  let slot: Int32Array | undefined;
  if (sel.subsampleSize !== undefined && sel.subsampleSize < eligible) {
    count = sel.subsampleSize;
    const perm = new Int32Array(eligible);
    for (let i = 0; i < eligible; i++) perm[i] = i;
    // Partial Fisher–Yates: the first `count` entries are a uniform random sample, in random order.
    for (let i = 0; i < count; i++) {
      const j = i + sel.rng.int(eligible - i);
      const t = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = t;
    }
    slot = new Int32Array(eligible).fill(-1);
    for (let i = 0; i < count; i++) slot[perm[i]!] = i;
  }
  const inputs = new Uint8Array(count * cells);
  const labels = new Uint8Array(count * cells);
  let ordinal = 0;
  forEachPuzzleCsvRow(path, (row) => {
    if (!isEligible(row)) return;
    const pos = slot ? slot[ordinal]! : ordinal;
    ordinal++;
    if (pos >= 0) encode(row, inputs, pos * cells, labels, pos * cells);
  });
  return { rows, count, cells, inputs, labels };
}

function rowError(path: string, row: PuzzleCsvRow, msg: string): SourceDataError {
  return new SourceDataError(`${path}:${row.line}: ${msg}`, { file: path, row: row.line });
}

/**
 * Loads the train and test CSVs of a grid dataset with the same filters (subsampling applies
 * to train only) and checks they agree on the grid size; `cells` is the common size.
 */
export function loadGridCsvSplits(
  paths: { train: string; test: string },
  codec: GridCsvCodec,
  sel: Omit<GridCsvSelection, 'cells'>,
  noun: string,
): { train: GridCsvData; test: GridCsvData; cells: number } {
  const train = loadGridCsv(paths.train, codec, sel);
  const test = loadGridCsv(paths.test, codec, {
    minDifficulty: sel.minDifficulty,
    cells: train.count > 0 ? train.cells : undefined,
    rng: sel.rng,
  });
  for (const [data, file] of [
    [train, paths.train],
    [test, paths.test],
  ] as const) {
    if (data.count === 0)
      throw new SourceDataError(
        data.rows === 0
          ? `no ${noun} in ${file} (it holds only the header); a dataset needs at least one in each of train.csv and test.csv`
          : `no ${noun} in ${file} with a rating of at least ${sel.minDifficulty} (of its ${data.rows}); lower the minimum difficulty`,
        { file },
      );
  }
  if (test.cells !== train.cells) {
    throw new SourceDataError(
      `${paths.test}: ${noun} have ${test.cells} cells but ${paths.train} has ${train.cells}`,
      { file: paths.test },
    );
  }
  return { train, test, cells: train.count > 0 ? train.cells : test.cells };
}
