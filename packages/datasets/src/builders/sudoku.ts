import { join } from 'node:path';
import { SudokuAugmenter, sudokuGeometry } from '../augment/sudoku.js';
import { BLANK_IDENTIFIER, writeIdentifiers } from '../format/identifiers.js';
import { buildIntoDirectory, type OutputOptions } from '../format/output.js';
import { type SplitInfo, SplitWriter } from '../format/writer.js';
import type { HubOptions } from '../hub/download.js';
import { Rng } from '../rng.js';
import type { BuildProgress, BuildResult } from './common.js';
import { type GridCsvData, loadGridCsvSplits } from './grid-csv.js';
import { type CsvSource, resolveCsvSource } from './source.js';
import { SUDOKU_SIZE_BY_CELLS, sudokuCodec } from './sudoku-codec.js';

/** Options of {@link buildSudokuDataset}; names follow the reference's CLI flags. */
export interface SudokuBuildOptions extends OutputOptions {
  /** CSV directory, `{train, test}` paths, or hub id. Default `sapientinc/sudoku-extreme`. */
  source?: CsvSource;
  outputDir: string;
  /** Random subset of this many training puzzles (after the difficulty filter). */
  subsampleSize?: number;
  /** Keep only puzzles rated at least this (both splits, like the reference). */
  minDifficulty?: number;
  /** Augmented copies per training puzzle (the test split is never augmented). Default 0. */
  numAug?: number;
  /** Seed of the deterministic RNG. Default 42 (the reference's default). */
  seed?: number;
  hub?: HubOptions;
  onProgress?: (p: BuildProgress) => void;
}

/** Default hub dataset of the Sudoku builder. */
export const SUDOKU_HUB_REPO = 'sapientinc/sudoku-extreme';

/**
 * Builds the Sudoku dataset in the reference layout (§10–§11): one group per source puzzle
 * holding the original and `numAug` augmented copies, one example per puzzle, identifiers
 * all 0, `total_puzzles` = groups and `mean_puzzle_examples` = 1 like the reference.
 *
 * Examples are generated straight into a fixed chunk buffer and streamed to disk, so memory
 * stays flat however large `numAug` is. The output appears atomically at `outputDir`.
 */
export async function buildSudokuDataset(options: SudokuBuildOptions): Promise<BuildResult> {
  const numAug = options.numAug ?? 0;
  if (!Number.isInteger(numAug) || numAug < 0)
    throw new RangeError(`numAug must be a non-negative integer, got ${numAug}`);
  const paths = await resolveCsvSource(options.source ?? SUDOKU_HUB_REPO, options.hub);
  const rng = new Rng(options.seed ?? 42);
  return buildIntoDirectory(options.outputDir, options, (tmp) => {
    const {
      train: trainData,
      test: testData,
      cells,
    } = loadGridCsvSplits(
      paths,
      sudokuCodec,
      { minDifficulty: options.minDifficulty, subsampleSize: options.subsampleSize, rng },
      'puzzles',
    );
    const n = SUDOKU_SIZE_BY_CELLS[cells] ?? 9;
    const info: SplitInfo = {
      seqLen: n * n,
      vocabSize: n + 2,
      padId: 0,
      ignoreLabelId: 0,
      blankIdentifierId: 0,
      numPuzzleIdentifiers: 1,
      countMode: 'groups',
    };
    const train = writeSudokuSplit(
      tmp,
      'train',
      trainData,
      n,
      numAug,
      info,
      rng,
      options.onProgress,
    );
    const test = writeSudokuSplit(tmp, 'test', testData, n, 0, info, rng, options.onProgress);
    writeIdentifiers(join(tmp, 'identifiers.json'), [BLANK_IDENTIFIER]);
    return { outputDir: options.outputDir, train, test };
  });
}

function writeSudokuSplit(
  dir: string,
  split: 'train' | 'test',
  data: GridCsvData,
  n: number,
  numAug: number,
  info: SplitInfo,
  rng: Rng,
  onProgress: ((p: BuildProgress) => void) | undefined,
) {
  const cells = n * n;
  const total = data.count * (1 + numAug);
  const w = new SplitWriter(dir, split, info, total);
  const aug = new SudokuAugmenter(sudokuGeometry(n));
  const step = Math.max(1, Math.floor(total / 100));
  let done = 0;
  try {
    for (let p = 0; p < data.count; p++) {
      const src = p * cells;
      for (let k = 0; k <= numAug; k++) {
        const off = w.reserveExample();
        if (k === 0) {
          w.inputChunk.set(data.inputs.subarray(src, src + cells), off);
          w.labelChunk.set(data.labels.subarray(src, src + cells), off);
        } else {
          aug.draw(rng);
          aug.apply(data.inputs, src, w.inputChunk, off);
          aug.apply(data.labels, src, w.labelChunk, off);
        }
        w.endPuzzle(0);
        if (onProgress && ++done % step === 0) onProgress({ split, done, total });
      }
      w.endGroup();
    }
    const summary = w.finish();
    onProgress?.({ split, done: total, total });
    return summary;
  } catch (e) {
    w.abort();
    throw e;
  }
}
