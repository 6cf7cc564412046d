import { join } from 'node:path';
import { DatasetError } from '../errors.js';
import { type DatasetMetadata, readMetadata } from '../format/metadata.js';

/**
 * Reads `<path>/<split>/dataset.json` for every path and merges them as the reference does:
 * token-level fields, `num_puzzle_identifiers` and `sets` must agree; counts add up;
 * `mean_puzzle_examples` is the `total_puzzles`-weighted mean; `num_puzzle_identifiers` is the
 * sum (each dataset keeps its own identifiers, so the table is larger than any one needs).
 */
export function mergeMetadata(paths: readonly string[], split: string): DatasetMetadata {
  if (paths.length === 0) throw new DatasetError('no dataset paths given');
  let merged: DatasetMetadata | undefined;
  let weighted = 0;
  let firstIds = 0;
  for (const p of paths) {
    const file = join(p, split, 'dataset.json');
    const m = readMetadata(file);
    weighted += m.mean_puzzle_examples * m.total_puzzles;
    if (!merged) {
      merged = { ...m, sets: [...m.sets] };
      firstIds = m.num_puzzle_identifiers;
      continue;
    }
    for (const k of [
      'seq_len',
      'vocab_size',
      'pad_id',
      'ignore_label_id',
      'blank_identifier_id',
    ] as const) {
      if (merged[k] !== m[k]) {
        throw new DatasetError(
          `${file}: ${k} is ${m[k]} but ${join(paths[0]!, split, 'dataset.json')} has ${merged[k]}`,
          {
            file,
          },
        );
      }
    }
    if (m.num_puzzle_identifiers !== firstIds) {
      throw new DatasetError(
        `Cannot merge ${p} with ${paths[0]}: ${join(p, split, 'dataset.json')} has num_puzzle_identifiers ${m.num_puzzle_identifiers} but ${join(paths[0]!, split, 'dataset.json')} has ${firstIds}. Datasets given together (data_paths, data_paths_test) must have the same number of puzzle identifiers, as in the reference; build them as one dataset (e.g. one pnpm trm build-dataset arc run with all the subsets) or use them in separate runs.`,
        { file },
      );
    }
    if (merged.sets.join(',') !== m.sets.join(',')) {
      throw new DatasetError(
        `${file}: sets [${m.sets}] differ from [${merged.sets}] of the first path`,
        { file },
      );
    }
    merged.total_puzzles += m.total_puzzles;
    merged.total_groups += m.total_groups;
    merged.num_puzzle_identifiers += m.num_puzzle_identifiers;
  }
  const out = merged!;
  out.mean_puzzle_examples = out.total_puzzles > 0 ? weighted / out.total_puzzles : 0;
  return out;
}

/**
 * The name a set of a merged dataset goes by: the first path's sets keep their names, those of
 * the path at `position` i > 0 get `i` appended (`all`, `all1`, `all2`, …), as in the reference.
 */
export function mergedSetName(set: string, position: number): string {
  return position > 0 ? `${set}${position}` : set;
}

/**
 * Optimizer steps of a training run, computed like the reference trainer:
 * `floor(epochs * total_groups * mean_puzzle_examples / global_batch_size)`. With the
 * Sudoku/Maze metadata quirk (`mean_puzzle_examples` = 1) this counts one example per group
 * and epoch; e.g. 1,000 Sudoku groups × 50,000 epochs at batch 1536 gives 32,552 steps.
 */
export function totalTrainSteps(
  metadata: DatasetMetadata,
  epochs: number,
  globalBatchSize: number,
): number {
  return Math.floor(
    (epochs * metadata.total_groups * metadata.mean_puzzle_examples) / globalBatchSize,
  );
}
