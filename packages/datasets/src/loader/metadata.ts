import { join } from 'node:path';
import { DatasetError } from '../errors.js';
import { type DatasetMetadata, readMetadata } from '../format/metadata.js';

/**
 * Reads `<path>/<split>/dataset.json` for every path and merges them as the reference does:
 * token-level fields and `sets` must agree; counts add up; `mean_puzzle_examples` is the
 * `total_puzzles`-weighted mean; `num_puzzle_identifiers` is the sum.
 */
export function mergeMetadata(paths: readonly string[], split: string): DatasetMetadata {
  if (paths.length === 0) throw new DatasetError('no dataset paths given');
  let merged: DatasetMetadata | undefined;
  let weighted = 0;
  for (const p of paths) {
    const file = join(p, split, 'dataset.json');
    const m = readMetadata(file);
    weighted += m.mean_puzzle_examples * m.total_puzzles;
    if (!merged) {
      merged = { ...m, sets: [...m.sets] };
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
