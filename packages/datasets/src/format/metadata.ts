import { DatasetError } from '../errors.js';
import { MAX_SEQ_LEN } from './limits.js';
import { MAX_JSON_BYTES, parseJsonText, readTextFile } from './read-text.js';
import { writeFileAtomic } from './write-all.js';

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

export { MAX_SEQ_LEN };
/**
 * Largest vocabulary a dataset may declare. Puzzle vocabularies have a dozen tokens; the
 * bound keeps a corrupt file from sizing the model's embedding table.
 */
export const MAX_VOCAB_SIZE = 1 << 16;
/** Most examples, puzzles, groups or identifiers: the loader indexes them with int32. */
const MAX_COUNT = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);
const SET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

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
  if (
    !(
      ign === null ||
      (typeof ign === 'number' && Number.isInteger(ign) && ign >= INT32_MIN && ign <= MAX_COUNT)
    )
  ) {
    problems.push(`'ignore_label_id' must be a 32-bit integer or null, got ${JSON.stringify(ign)}`);
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
  } else {
    // Set names become file names (`<set>__inputs.npy`): no paths, no duplicates.
    const bad = sets.find((s: string) => !SET_NAME.test(s));
    if (bad !== undefined)
      problems.push(
        `'sets' entry ${JSON.stringify(bad)} is not a plain name (letters, digits, '_', '-', '.')`,
      );
    else if (new Set(sets).size !== sets.length)
      problems.push(`'sets' lists a name twice: ${JSON.stringify(sets)}`);
  }
  if (problems.length === 0) {
    const m = v as unknown as DatasetMetadata;
    // Bounds no real dataset comes near; past them sizes are corrupt, and would only lead a
    // reader to allocate more than any machine has.
    for (const [k, min, max] of [
      ['seq_len', 1, MAX_SEQ_LEN],
      ['vocab_size', 1, MAX_VOCAB_SIZE],
      ['num_puzzle_identifiers', 1, MAX_COUNT],
      ['total_groups', 0, MAX_COUNT],
      ['total_puzzles', 0, MAX_COUNT],
    ] as const) {
      if (m[k] < min || m[k] > max)
        problems.push(`'${k}' is ${m[k]}, outside ${min}..${max.toLocaleString('en-US')}`);
    }
    if (m.pad_id >= m.vocab_size)
      problems.push(`pad_id ${m.pad_id} is outside vocab_size ${m.vocab_size}`);
    if (m.blank_identifier_id >= m.num_puzzle_identifiers) {
      problems.push(
        `blank_identifier_id ${m.blank_identifier_id} is outside num_puzzle_identifiers ${m.num_puzzle_identifiers}`,
      );
    }
  }
  return problems;
}

/**
 * Reads and validates `dataset.json`; errors name the file and every bad field. Sizes beyond
 * any real dataset ({@link MAX_SEQ_LEN}, {@link MAX_VOCAB_SIZE}) are refused here, before
 * anything is allocated by them.
 */
export function readMetadata(path: string): DatasetMetadata {
  const text = readTextFile(path, 'dataset.json', MAX_JSON_BYTES.metadata);
  const value = parseJsonText(text, path, 'dataset.json');
  const problems = metadataProblems(value);
  if (problems.length > 0)
    throw new DatasetError(
      `${path}: invalid dataset.json: ${problems.join('; ')}. Rebuild the dataset with trm build-dataset.`,
      { file: path },
    );
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
