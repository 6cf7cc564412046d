import { join } from 'node:path';
import { dihedralIndex } from '../augment/dihedral.js';
import { BLANK_IDENTIFIER, writeIdentifiers } from '../format/identifiers.js';
import { buildIntoDirectory, type OutputOptions } from '../format/output.js';
import { type SplitInfo, SplitWriter } from '../format/writer.js';
import type { HubOptions } from '../hub/download.js';
import { Rng } from '../rng.js';
import type { BuildProgress, BuildResult } from './common.js';
import { type GridCsvData, loadGridCsvSplits } from './grid-csv.js';
import { MAZE_CHARSET, mazeCodec } from './maze-codec.js';
import { type CsvSource, resolveCsvSource } from './source.js';

/** Default hub dataset of the Maze builder. */
export const MAZE_HUB_REPO = 'sapientinc/maze-30x30-hard-1k';

/** Options of {@link buildMazeDataset}. */
export interface MazeBuildOptions extends OutputOptions {
  /** CSV directory, `{train, test}` paths, or hub id. Default `sapientinc/maze-30x30-hard-1k`. */
  source?: CsvSource;
  outputDir: string;
  /** Random subset of this many training mazes. */
  subsampleSize?: number;
  /** Keep only rows with `rating >= minDifficulty` (the generators write the path length). */
  minDifficulty?: number;
  /** Add the 8 dihedral images of each training maze as 8 puzzles of one group. Default false. */
  aug?: boolean;
  /** Seed of the deterministic RNG (only used by subsampling). Default 42. */
  seed?: number;
  hub?: HubOptions;
  onProgress?: (p: BuildProgress) => void;
}

/**
 * Builds the Maze dataset in the reference layout: one puzzle of one example per maze (or,
 * with `aug`, its 8 dihedral images as 8 puzzles of one group in train), identifiers all 0,
 * vocabulary 6, `total_puzzles` = groups and `mean_puzzle_examples` = 1 like the reference.
 */
export async function buildMazeDataset(options: MazeBuildOptions): Promise<BuildResult> {
  const paths = await resolveCsvSource(options.source ?? MAZE_HUB_REPO, options.hub);
  const rng = new Rng(options.seed ?? 42);
  return buildIntoDirectory(options.outputDir, options, (tmp) => {
    const {
      train: trainData,
      test: testData,
      cells,
    } = loadGridCsvSplits(
      paths,
      mazeCodec,
      { minDifficulty: options.minDifficulty, subsampleSize: options.subsampleSize, rng },
      'mazes',
    );
    const info: SplitInfo = {
      seqLen: cells,
      vocabSize: MAZE_CHARSET.length + 1,
      padId: 0,
      ignoreLabelId: 0,
      blankIdentifierId: 0,
      numPuzzleIdentifiers: 1,
      countMode: 'groups',
    };
    const train = writeMazeSplit(
      tmp,
      'train',
      trainData,
      options.aug ? 8 : 1,
      info,
      options.onProgress,
    );
    const test = writeMazeSplit(tmp, 'test', testData, 1, info, options.onProgress);
    writeIdentifiers(join(tmp, 'identifiers.json'), [BLANK_IDENTIFIER]);
    return { outputDir: options.outputDir, train, test };
  });
}

function writeMazeSplit(
  dir: string,
  split: 'train' | 'test',
  data: GridCsvData,
  variants: number,
  info: SplitInfo,
  onProgress: ((p: BuildProgress) => void) | undefined,
) {
  const n = Math.round(Math.sqrt(info.seqLen));
  const gathers = Array.from({ length: variants }, (_, t) => dihedralIndex(t, n, n));
  const total = data.count * variants;
  const w = new SplitWriter(dir, split, info, total);
  try {
    for (let p = 0; p < data.count; p++) {
      const src = p * info.seqLen;
      for (const g of gathers) {
        const off = w.reserveExample();
        for (let k = 0; k < g.length; k++) {
          w.inputChunk[off + k] = data.inputs[src + g[k]!]!;
          w.labelChunk[off + k] = data.labels[src + g[k]!]!;
        }
        w.endPuzzle(0);
      }
      w.endGroup();
      onProgress?.({ split, done: (p + 1) * variants, total });
    }
    return w.finish();
  } catch (e) {
    w.abort();
    throw e;
  }
}
