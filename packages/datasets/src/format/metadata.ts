import { readFileSync } from 'node:fs';
import { DatasetError } from '../errors.js';
import { writeFileAtomic } from './fs.js';

/**
 * Contents of `<split>/dataset.json`, field for field as the PyTorch reference writes it
 * (snake_case keys, so a file written by either side loads in the other).
 */
export interface DatasetMetadata {
  pad_id: number;
  /** Label value the loader turns into -100; `null` disables the mapping. */
  ignore_label_id: number | null;
  blank_identifier_id: number;
  vocab_size: number;
  seq_len: number;
  num_puzzle_identifiers: number;
  total_groups: number;
  /**
   * Mean examples per puzzle. The reference's Sudoku and Maze builders write 1 here and the
   * number of groups as `total_puzzles`; ARC writes the true values.
   */
  mean_puzzle_examples: number;
  total_puzzles: number;
  sets: string[];
}

const INT_FIELDS = [
  'pad_id',
  'blank_identifier_id',
  'vocab_size',
  'seq_len',
  'num_puzzle_identifiers',
  'total_groups',
  'total_puzzles',
] as const;

/** Checks a parsed `dataset.json`; returns every problem found (empty when valid). */
export function metadataProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return ['not a JSON object'];
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of INT_FIELDS) {
    const x = v[k];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) {
      problems.push(`'${k}' must be a non-negative integer, got ${JSON.stringify(x)}`);
    }
  }
  const ign = v.ignore_label_id;
  if (!(ign === null || (typeof ign === 'number' && Number.isInteger(ign)))) {
    problems.push(`'ignore_label_id' must be an integer or null, got ${JSON.stringify(ign)}`);
  }
  const mpe = v.mean_puzzle_examples;
  if (typeof mpe !== 'number' || !Number.isFinite(mpe) || mpe < 0) {
    problems.push(
      `'mean_puzzle_examples' must be a non-negative number, got ${JSON.stringify(mpe)}`,
    );
  }
  const sets = v.sets;
  if (
    !Array.isArray(sets) ||
    sets.length === 0 ||
    !sets.every((s) => typeof s === 'string' && s.length > 0)
  ) {
    problems.push(`'sets' must be a non-empty list of names, got ${JSON.stringify(sets)}`);
  }
  if (problems.length === 0) {
    const m = v as unknown as DatasetMetadata;
    if (m.pad_id >= m.vocab_size)
      problems.push(`pad_id ${m.pad_id} is outside vocab_size ${m.vocab_size}`);
    if (m.blank_identifier_id >= m.num_puzzle_identifiers && m.num_puzzle_identifiers > 0) {
      problems.push(
        `blank_identifier_id ${m.blank_identifier_id} is outside num_puzzle_identifiers ${m.num_puzzle_identifiers}`,
      );
    }
  }
  return problems;
}

/** Reads and validates `dataset.json`; errors name the file and every bad field. */
export function readMetadata(path: string): DatasetMetadata {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DatasetError(`${path}: cannot read dataset.json: ${(e as Error).message}`, {
      file: path,
      cause: e,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new DatasetError(`${path}: invalid JSON: ${(e as Error).message}`, {
      file: path,
      cause: e,
    });
  }
  const problems = metadataProblems(value);
  if (problems.length > 0)
    throw new DatasetError(`${path}: invalid dataset.json: ${problems.join('; ')}`, { file: path });
  const v = value as DatasetMetadata;
  // Keep only known keys, in the reference's order, so a re-written file is byte-stable.
  return {
    pad_id: v.pad_id,
    ignore_label_id: v.ignore_label_id,
    blank_identifier_id: v.blank_identifier_id,
    vocab_size: v.vocab_size,
    seq_len: v.seq_len,
    num_puzzle_identifiers: v.num_puzzle_identifiers,
    total_groups: v.total_groups,
    mean_puzzle_examples: v.mean_puzzle_examples,
    total_puzzles: v.total_puzzles,
    sets: [...v.sets],
  };
}

/** Writes `dataset.json` after validating it. */
export function writeMetadata(path: string, metadata: DatasetMetadata): void {
  const problems = metadataProblems(metadata);
  if (problems.length > 0)
    throw new DatasetError(`${path}: refusing to write invalid metadata: ${problems.join('; ')}`, {
      file: path,
    });
  writeFileAtomic(path, JSON.stringify(metadata));
}
