/**
 * Reading a dataset split into memory, checked: every array a reader indexes by another is
 * checked against it here (see ./check-set.ts), so that nothing downstream — the batch
 * iterators, the evaluators, `trm show` — can be sent out of bounds by a corrupt file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError } from '../errors.js';
import { readIdentifiers } from '../format/identifiers.js';
import { type DatasetMetadata, readMetadata } from '../format/metadata.js';
import type { NpyArray } from '../npy/read.js';
import { readNpy } from '../npy/read.js';
import { checkIdentifiers, checkOffsets, checkTokens } from './check-set.js';

/** Token arrays as read: whatever integer type the file holds (uint8 for our builders). */
export type IntArray = Exclude<NpyArray['data'], BigInt64Array | Float32Array | Float64Array>;

/** The arrays of one set, checked (see {@link loadDatasetSet}). */
export interface LoadedSet {
  /** `[numExamples, seq_len]`, row-major. */
  inputs: IntArray;
  labels: IntArray;
  numExamples: number;
  /** One per puzzle, inside `[0, num_puzzle_identifiers)`. */
  puzzleIdentifiers: Int32Array;
  /** Example offsets of each puzzle: `numPuzzles + 1` entries from 0 to `numExamples`. */
  puzzleIndices: Int32Array;
  /** Puzzle offsets of each group: strictly increasing from 0 to `numPuzzles`. */
  groupIndices: Int32Array;
}

/** A split of one dataset directory, read and checked. */
export interface LoadedSplit {
  metadata: DatasetMetadata;
  sets: Map<string, LoadedSet>;
}

const REBUILD = 'rebuild the dataset with trm build-dataset';

/**
 * Reads a split (`<dir>/<split>/`) of a dataset and checks everything a reader relies on: its
 * `dataset.json` (including that its totals match the arrays), `identifiers.json` when
 * present, and every array of every set (see {@link loadDatasetSet}). This is the up-front
 * check for tools: call it before creating any output or building a model.
 *
 * @throws DatasetError naming the file, the first offending row or entry and its value.
 */
export function loadDatasetSplit(dir: string, split: string): LoadedSplit {
  const metaPath = join(dir, split, 'dataset.json');
  const metadata = readMetadata(metaPath);
  checkSiblingSplit(dir, split, metadata, metaPath);
  checkIdentifiersFile(dir, metadata, metaPath);
  const sets = new Map<string, LoadedSet>();
  for (const set of metadata.sets) sets.set(set, loadDatasetSet(join(dir, split), set, metadata));
  checkTotals(metaPath, metadata, [...sets.values()]);
  return { metadata, sets };
}

/** What both splits of one dataset share: a model built for one must take the other's rows. */
const SHARED_FIELDS = [
  'seq_len',
  'vocab_size',
  'pad_id',
  'ignore_label_id',
  'blank_identifier_id',
  'num_puzzle_identifiers',
] as const;

/**
 * The trainer sizes the model by `train/dataset.json` and evaluates on `test/`: a test split
 * with more identifiers or another vocabulary would index past the model's tables.
 */
function checkSiblingSplit(dir: string, split: string, meta: DatasetMetadata, metaPath: string) {
  const other = split === 'train' ? 'test' : split === 'test' ? 'train' : undefined;
  const otherPath = other && join(dir, other, 'dataset.json');
  if (!otherPath || !existsSync(otherPath)) return;
  const o = readMetadata(otherPath);
  for (const k of SHARED_FIELDS)
    if (o[k] !== meta[k])
      throw new DatasetError(
        `${metaPath}: ${k} is ${meta[k]} but ${otherPath} has ${o[k]}; both splits of a dataset must agree on it (a model trained on one is evaluated on the other); ${REBUILD}.`,
        { file: metaPath },
      );
}

/**
 * `identifiers.json`, when the dataset has one (evaluators and `trm show` name puzzles by it),
 * holds one name per puzzle identifier, as every builder writes it.
 */
function checkIdentifiersFile(dir: string, meta: DatasetMetadata, metaPath: string): void {
  const file = join(dir, 'identifiers.json');
  if (!existsSync(file)) return;
  const names = readIdentifiers(file);
  if (names.length !== meta.num_puzzle_identifiers)
    throw new DatasetError(
      `${file}: has ${names.length} names but ${metaPath} declares num_puzzle_identifiers ${meta.num_puzzle_identifiers}; ${REBUILD}.`,
      { file },
    );
}

/**
 * The totals of `dataset.json` size the training schedule and the confidence intervals, so
 * they must describe the arrays. The reference's Sudoku and Maze builders count groups as
 * puzzles with one example each (`total_puzzles` = groups, `mean_puzzle_examples` = 1).
 */
function checkTotals(file: string, meta: DatasetMetadata, sets: LoadedSet[]): void {
  let groups = 0;
  let puzzles = 0;
  for (const s of sets) {
    groups += s.groupIndices.length - 1;
    puzzles += s.puzzleIdentifiers.length;
  }
  const fail = (message: string): never => {
    throw new DatasetError(`${file}: ${message}; ${REBUILD}.`, { file });
  };
  if (meta.total_groups !== groups)
    fail(`total_groups is ${meta.total_groups}, but the index arrays hold ${groups} groups`);
  const groupMode = meta.total_puzzles === groups && meta.mean_puzzle_examples === 1;
  if (!groupMode && meta.total_puzzles !== puzzles)
    fail(`total_puzzles is ${meta.total_puzzles}, but the index arrays hold ${puzzles} puzzles`);
}

/** Integer data as int32: int64 values must fit, floats are refused (tokens are integers). */
function toInt32(arr: NpyArray, file: string): Int32Array {
  if (arr.data instanceof Int32Array) return arr.data;
  if (arr.dtype === 'f4' || arr.dtype === 'f8')
    throw new DatasetError(
      `${file}: has dtype ${arr.dtype} (floating point), but dataset arrays hold integers; ${REBUILD}.`,
      { file },
    );
  const out = new Int32Array(arr.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Number(arr.data[i]);
    if (v > 2147483647 || v < -2147483648)
      throw new DatasetError(
        `${file}: element ${i} is ${arr.data[i]}, which does not fit a 32-bit integer; ${REBUILD}.`,
        { file },
      );
    out[i] = v;
  }
  return out;
}

function tokens(arr: NpyArray, file: string, seqLen: number): { data: IntArray; rows: number } {
  if (arr.shape.length !== 2 || arr.shape[1] !== seqLen) {
    throw new DatasetError(
      `${file}: shape (${arr.shape.join(', ')}) does not match [N, seq_len] with the seq_len ${seqLen} of dataset.json; ${REBUILD}.`,
      { file },
    );
  }
  const data =
    arr.data instanceof BigInt64Array ||
    arr.data instanceof Float32Array ||
    arr.data instanceof Float64Array
      ? toInt32(arr, file)
      : arr.data;
  return { data, rows: arr.shape[0]! };
}

/** A 1-D index array as int32. */
function indexArray(arr: NpyArray, file: string): Int32Array {
  if (arr.shape.length !== 1)
    throw new DatasetError(
      `${file}: shape (${arr.shape.join(', ')}) is not one-dimensional; ${REBUILD}.`,
      { file },
    );
  return toInt32(arr, file);
}

/** The arrays of every set, by their file-name suffix. */
const SET_ARRAYS = ['inputs', 'labels', 'puzzle_identifiers', 'puzzle_indices', 'group_indices'];

/**
 * Reads one set (`<set>__*.npy`) of a split directory and checks every invariant the loader
 * relies on against `meta`: shapes `[N, seq_len]` with equal N, tokens inside the vocabulary
 * (labels may also be `ignore_label_id`), identifiers inside `num_puzzle_identifiers`,
 * `puzzle_indices` from 0 to N never decreasing, `group_indices` from 0 to the puzzle count
 * strictly increasing. Each file's size is checked against its header before it is read.
 *
 * @throws DatasetError (NpyError for a malformed `.npy`) naming the file and what is wrong.
 */
export function loadDatasetSet(dir: string, set: string, meta: DatasetMetadata): LoadedSet {
  const file = (f: string) => join(dir, `${set}__${f}.npy`);
  // A set dataset.json lists but whose arrays are not there: say so, rather than "no such file".
  const missing = SET_ARRAYS.filter((f) => !existsSync(file(f)));
  if (missing.length === SET_ARRAYS.length)
    throw new DatasetError(
      `${join(dir, 'dataset.json')}: lists the set '${set}', but ${dir} has none of its arrays (${set}__inputs.npy, …); ${REBUILD}.`,
      { file: join(dir, 'dataset.json') },
    );
  const seqLen = meta.seq_len;
  const inputs = tokens(readNpy(file('inputs')), file('inputs'), seqLen);
  checkTokens(file('inputs'), inputs.data, seqLen, meta, 'inputs');
  const labels = tokens(readNpy(file('labels')), file('labels'), seqLen);
  if (labels.rows !== inputs.rows) {
    throw new DatasetError(
      `${file('labels')}: ${labels.rows} rows but ${file('inputs')} has ${inputs.rows}; ${REBUILD}.`,
      { file: file('labels') },
    );
  }
  checkTokens(file('labels'), labels.data, seqLen, meta, 'labels');
  const idFile = file('puzzle_identifiers');
  const puzzleIdentifiers = indexArray(readNpy(idFile), idFile);
  checkIdentifiers(idFile, puzzleIdentifiers, meta.num_puzzle_identifiers);
  const pFile = file('puzzle_indices');
  const puzzleIndices = indexArray(readNpy(pFile), pFile);
  checkOffsets(pFile, puzzleIndices, puzzleIdentifiers.length, inputs.rows, {
    ranges: 'puzzles',
    items: 'examples',
    strict: false,
  });
  const gFile = file('group_indices');
  const groupIndices = indexArray(readNpy(gFile), gFile);
  checkOffsets(gFile, groupIndices, groupIndices.length - 1, puzzleIdentifiers.length, {
    ranges: 'groups',
    items: 'puzzles',
    strict: true,
  });
  return {
    inputs: inputs.data,
    labels: labels.data,
    numExamples: inputs.rows,
    puzzleIdentifiers,
    puzzleIndices,
    groupIndices,
  };
}
