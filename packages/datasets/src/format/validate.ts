import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetValidationError } from '../errors.js';
import type { NpyArray } from '../npy/read.js';
import { readNpy } from '../npy/read.js';
import { arcGridProblem } from './arc-json.js';
import { identifiersProblems } from './identifiers.js';
import { type DatasetMetadata, metadataProblems } from './metadata.js';
import { MAX_JSON_BYTES, parseJsonText, readTextFile } from './read-text.js';

/** The five arrays of one set, in file-name order. */
export const SET_FIELDS = [
  'inputs',
  'labels',
  'puzzle_identifiers',
  'puzzle_indices',
  'group_indices',
] as const;

/** Result of {@link validateDataset}. */
export interface ValidationReport {
  ok: boolean;
  /** One line per violated invariant, each naming the file concerned. */
  violations: string[];
}

const INTEGER_DTYPES = new Set(['u1', 'i1', 'u2', 'i2', 'u4', 'i4', 'i8']);

/**
 * Checks every invariant of a dataset directory and reports all violations rather than
 * stopping at the first: `dataset.json` fields and totals, index arrays (start at 0,
 * monotonic, end at the array lengths), identifiers inside `num_puzzle_identifiers`, tokens
 * inside the vocabulary, shapes matching `seq_len`, `identifiers.json` and, when present,
 * `test_puzzles.json`.
 */
export function validateDataset(dir: string): ValidationReport {
  const v: string[] = [];
  const splits = ['train', 'test'].filter((s) => existsSync(join(dir, s)));
  if (splits.length === 0) v.push(`${dir}: no train/ or test/ split directory`);
  const metas: DatasetMetadata[] = [];
  for (const split of splits) {
    const meta = validateSplit(dir, split, v);
    if (meta) metas.push(meta);
  }
  const idPath = join(dir, 'identifiers.json');
  if (!existsSync(idPath)) {
    v.push(`${idPath}: missing`);
  } else {
    const ids = parseJson(idPath, v);
    if (ids !== undefined) {
      for (const p of identifiersProblems(ids)) v.push(`${idPath}: ${p}`);
      const maxIds = Math.max(0, ...metas.map((m) => m.num_puzzle_identifiers));
      if (Array.isArray(ids) && metas.length > 0 && ids.length !== maxIds) {
        v.push(`${idPath}: has ${ids.length} entries but num_puzzle_identifiers is ${maxIds}`);
      }
    }
  }
  const tpPath = join(dir, 'test_puzzles.json');
  if (existsSync(tpPath)) {
    const tp = parseJson(tpPath, v);
    if (tp !== undefined) validateTestPuzzles(tpPath, tp, v);
  }
  return { ok: v.length === 0, violations: v };
}

/** Like {@link validateDataset} but throws a {@link DatasetValidationError} listing every violation. */
export function assertValidDataset(dir: string): void {
  const r = validateDataset(dir);
  if (!r.ok) throw new DatasetValidationError(dir, r.violations);
}

function parseJson(path: string, v: string[]): unknown {
  try {
    return parseJsonText(readTextFile(path, 'JSON file', MAX_JSON_BYTES.large), path, 'it');
  } catch (e) {
    v.push((e as Error).message);
    return undefined;
  }
}

function validateTestPuzzles(path: string, tp: unknown, v: string[]): void {
  if (typeof tp !== 'object' || tp === null || Array.isArray(tp)) {
    v.push(`${path}: must be an object of puzzles keyed by name`);
    return;
  }
  for (const [name, puzzle] of Object.entries(tp)) {
    const p = puzzle as Record<string, unknown>;
    for (const kind of ['train', 'test']) {
      const pairs = p?.[kind];
      if (!Array.isArray(pairs)) {
        v.push(`${path}: puzzle ${name} has no '${kind}' list`);
        continue;
      }
      pairs.forEach((pair: Record<string, unknown>, i: number) => {
        for (const g of ['input', 'output']) {
          const prob = arcGridProblem(pair?.[g]);
          if (prob) v.push(`${path}: puzzle ${name} ${kind}[${i}].${g}: ${prob}`);
        }
      });
    }
  }
}

function validateSplit(dir: string, split: string, v: string[]): DatasetMetadata | undefined {
  const metaPath = join(dir, split, 'dataset.json');
  if (!existsSync(metaPath)) {
    v.push(`${metaPath}: missing`);
    return undefined;
  }
  const raw = parseJson(metaPath, v);
  if (raw === undefined) return undefined;
  const problems = metadataProblems(raw);
  for (const p of problems) v.push(`${metaPath}: ${p}`);
  if (problems.length > 0) return undefined;
  const meta = raw as DatasetMetadata;
  let examples = 0;
  let puzzles = 0;
  let groups = 0;
  for (const set of meta.sets) {
    const counts = validateSet(join(dir, split), set, meta, v);
    if (!counts) return meta;
    examples += counts.examples;
    puzzles += counts.puzzles;
    groups += counts.groups;
  }
  if (meta.total_groups !== groups) {
    v.push(
      `${metaPath}: total_groups is ${meta.total_groups} but the index arrays hold ${groups} groups`,
    );
  }
  // The reference Sudoku/Maze builders record groups as puzzles with one example each.
  const groupMode = meta.total_puzzles === groups && meta.mean_puzzle_examples === 1;
  if (!groupMode) {
    if (meta.total_puzzles !== puzzles) {
      v.push(
        `${metaPath}: total_puzzles is ${meta.total_puzzles} but the index arrays hold ${puzzles} puzzles`,
      );
    }
    const mean = puzzles > 0 ? examples / puzzles : 0;
    if (Math.abs(meta.mean_puzzle_examples - mean) > 1e-6 * Math.max(1, mean)) {
      v.push(
        `${metaPath}: mean_puzzle_examples is ${meta.mean_puzzle_examples} but the data has ${mean}`,
      );
    }
  }
  return meta;
}

function load(path: string, v: string[]): NpyArray | undefined {
  if (!existsSync(path)) {
    v.push(`${path}: missing`);
    return undefined;
  }
  try {
    return readNpy(path);
  } catch (e) {
    v.push((e as Error).message);
    return undefined;
  }
}

function validateSet(
  splitDir: string,
  set: string,
  meta: DatasetMetadata,
  v: string[],
): { examples: number; puzzles: number; groups: number } | undefined {
  const path = (f: string) => join(splitDir, `${set}__${f}.npy`);
  const arrays = Object.fromEntries(SET_FIELDS.map((f) => [f, load(path(f), v)])) as Record<
    (typeof SET_FIELDS)[number],
    NpyArray | undefined
  >;
  for (const f of SET_FIELDS) {
    const a = arrays[f];
    if (a && !INTEGER_DTYPES.has(a.dtype))
      v.push(`${path(f)}: dtype ${a.dtype} is not an integer type`);
  }
  const {
    inputs,
    labels,
    puzzle_identifiers: ids,
    puzzle_indices: pIdx,
    group_indices: gIdx,
  } = arrays;
  let nExamples = -1;
  for (const [name, a] of [
    ['inputs', inputs],
    ['labels', labels],
  ] as const) {
    if (!a) continue;
    if (a.shape.length !== 2 || a.shape[1] !== meta.seq_len) {
      v.push(`${path(name)}: shape (${a.shape.join(', ')}) is not [N, seq_len=${meta.seq_len}]`);
      continue;
    }
    if (nExamples >= 0 && a.shape[0] !== nExamples) {
      v.push(`${path(name)}: ${a.shape[0]} rows but inputs has ${nExamples}`);
    }
    nExamples = a.shape[0]!;
    const allowed = name === 'labels' ? meta.ignore_label_id : null;
    const bad = firstOutside(a.data, 0, meta.vocab_size, allowed);
    if (bad >= 0) {
      v.push(
        `${path(name)}: token ${String(a.data[bad])} at example ${Math.floor(bad / meta.seq_len)}, position ${bad % meta.seq_len} is outside the vocabulary 0..${meta.vocab_size - 1}`,
      );
    }
  }
  for (const [name, a] of [
    ['puzzle_identifiers', ids],
    ['puzzle_indices', pIdx],
    ['group_indices', gIdx],
  ] as const) {
    if (a && a.shape.length !== 1)
      v.push(`${path(name)}: shape (${a.shape.join(', ')}) is not 1-D`);
  }
  if (
    !ids ||
    !pIdx ||
    !gIdx ||
    ids.shape.length !== 1 ||
    pIdx.shape.length !== 1 ||
    gIdx.shape.length !== 1
  ) {
    return undefined;
  }
  const nPuzzles = ids.shape[0]!;
  if (pIdx.shape[0] !== nPuzzles + 1) {
    v.push(
      `${path('puzzle_indices')}: length ${pIdx.shape[0]} but there are ${nPuzzles} puzzle identifiers (expected ${nPuzzles + 1})`,
    );
  }
  checkOffsets(path('puzzle_indices'), pIdx.data, nExamples, 'examples', v);
  checkOffsets(path('group_indices'), gIdx.data, nPuzzles, 'puzzles', v);
  const badId = firstOutside(ids.data, 0, meta.num_puzzle_identifiers, null);
  if (badId >= 0) {
    v.push(
      `${path('puzzle_identifiers')}: identifier ${String(ids.data[badId])} of puzzle ${badId} is outside 0..${meta.num_puzzle_identifiers - 1}`,
    );
  }
  return {
    examples: Math.max(0, nExamples),
    puzzles: nPuzzles,
    groups: Math.max(0, gIdx.shape[0]! - 1),
  };
}

function checkOffsets(
  file: string,
  a: NpyArray['data'],
  end: number,
  what: string,
  v: string[],
): void {
  if (a.length === 0) {
    v.push(`${file}: empty (needs at least the leading 0)`);
    return;
  }
  if (Number(a[0]) !== 0) v.push(`${file}: first offset is ${String(a[0])}, not 0`);
  for (let i = 1; i < a.length; i++) {
    if (Number(a[i]) < Number(a[i - 1])) {
      v.push(`${file}: offsets decrease at index ${i} (${String(a[i - 1])} then ${String(a[i])})`);
      break;
    }
  }
  const last = Number(a[a.length - 1]);
  if (end >= 0 && last !== end)
    v.push(`${file}: last offset is ${last} but there are ${end} ${what}`);
}

function firstOutside(a: NpyArray['data'], lo: number, hi: number, allowed: number | null): number {
  if (a instanceof BigInt64Array) {
    for (let i = 0; i < a.length; i++) {
      const x = Number(a[i]);
      if ((x < lo || x >= hi) && x !== allowed) return i;
    }
    return -1;
  }
  const t = a as Exclude<NpyArray['data'], BigInt64Array>;
  for (let i = 0; i < t.length; i++) {
    const x = t[i]!;
    if ((x < lo || x >= hi) && x !== allowed) return i;
  }
  return -1;
}
