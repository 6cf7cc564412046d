import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../src/errors.js';
import { writeIdentifiers } from '../src/format/identifiers.js';
import { type DatasetMetadata, writeMetadata } from '../src/format/metadata.js';
import { validateDataset } from '../src/format/validate.js';
import { type BatchItem, IGNORE_LABEL_ID, PuzzleDataset } from '../src/loader/dataset.js';
import { totalTrainSteps } from '../src/loader/metadata.js';
import { puzzleOfExample } from '../src/loader/puzzle-of.js';
import { readNpy } from '../src/npy/read.js';
import { writeNpy } from '../src/npy/write.js';
import { FIXTURES, sudokuTokens, tempDir } from './helpers.js';

/**
 * A synthetic dataset whose tokens encode the example index (inputs = [e % 100 + 1,
 * floor(e / 100) + 1, …]) so tests can recover exactly which examples a batch holds.
 * Group g has (g % 3) + 1 puzzles; puzzle p has (p % 4) + 1 examples; identifier p + 1.
 */
function writeSynthetic(
  root: string,
  groups: number,
  seqLen = 3,
  /** Identifiers declared (default: one per puzzle plus the blank one). */
  numIds?: number,
): { puzzleOf: number[]; groupOf: number[]; examples: number; numIds: number } {
  const puzzleIndices = [0];
  const groupIndices = [0];
  const puzzleOf: number[] = [];
  const groupOf: number[] = [];
  let p = 0;
  for (let g = 0; g < groups; g++) {
    for (let i = 0; i <= g % 3; i++) {
      for (let e = 0; e <= p % 4; e++) puzzleOf.push(p);
      groupOf.push(g);
      puzzleIndices.push(puzzleOf.length);
      p++;
    }
    groupIndices.push(p);
  }
  const n = puzzleOf.length;
  const inputs = new Int32Array(n * seqLen);
  const labels = new Int32Array(n * seqLen);
  for (let e = 0; e < n; e++) {
    inputs[e * seqLen] = (e % 100) + 1;
    inputs[e * seqLen + 1] = Math.floor(e / 100) + 1;
    labels[e * seqLen] = 5;
    // Position 2 holds the ignore label 0 → -100 in batches.
  }
  for (const split of ['train', 'test']) {
    const d = join(root, split);
    mkdirSync(d, { recursive: true });
    writeNpy(join(d, 'all__inputs.npy'), inputs, [n, seqLen]);
    writeNpy(join(d, 'all__labels.npy'), labels, [n, seqLen]);
    writeNpy(
      join(d, 'all__puzzle_identifiers.npy'),
      Int32Array.from({ length: p }, (_, i) => i + 1),
    );
    writeNpy(join(d, 'all__puzzle_indices.npy'), Int32Array.from(puzzleIndices));
    writeNpy(join(d, 'all__group_indices.npy'), Int32Array.from(groupIndices));
    const meta: DatasetMetadata = {
      pad_id: 0,
      ignore_label_id: 0,
      blank_identifier_id: 0,
      vocab_size: 101,
      seq_len: seqLen,
      num_puzzle_identifiers: numIds ?? p + 1,
      total_groups: groups,
      mean_puzzle_examples: n / p,
      total_puzzles: p,
      sets: ['all'],
    };
    writeMetadata(join(d, 'dataset.json'), meta);
  }
  writeIdentifiers(join(root, 'identifiers.json'), [
    '<blank>',
    ...Array.from({ length: (numIds ?? p + 1) - 1 }, (_, i) => `p${i}`),
  ]);
  return { puzzleOf, groupOf, examples: n, numIds: numIds ?? p + 1 };
}

const dir = tempDir();
const synth = join(dir, 'synth');
const info = writeSynthetic(synth, 40);

function exampleIds(item: BatchItem, seqLen = 3): number[] {
  const ids: number[] = [];
  for (let i = 0; i < item.batch.puzzleIdentifiers.length; i++) {
    const a = item.batch.inputs[i * seqLen]!;
    ids.push(a === 0 ? -1 : a - 1 + (item.batch.inputs[i * seqLen + 1]! - 1) * 100);
  }
  return ids;
}

describe('puzzleOfExample', () => {
  it('finds the puzzle of every example, puzzles of one example and of none included', () => {
    const indices = readNpy(join(synth, 'train', 'all__puzzle_indices.npy')).data as Int32Array;
    for (let e = 0; e < info.examples; e++)
      expect(puzzleOfExample(indices, e), `example ${e}`).toBe(info.puzzleOf[e]);
    // An empty puzzle (a repeated offset) owns no example: 2 belongs to the puzzle after it.
    const withEmpty = [0, 2, 2, 5];
    expect([0, 1, 2, 3, 4].map((e) => puzzleOfExample(withEmpty, e))).toEqual([0, 0, 2, 2, 2]);
  });
});

describe('PuzzleDataset (train)', () => {
  it('is a valid dataset to start with', () => {
    expect(validateDataset(synth)).toEqual({ ok: true, violations: [] });
  });

  it('samples one puzzle per group, distinct examples of it, full batches, each group at most once per epoch', () => {
    const ds = new PuzzleDataset({
      datasetPaths: [synth],
      split: 'train',
      globalBatchSize: 8,
      seed: 3,
    });
    const batches = [...ds.iterTrain()];
    expect(batches.length).toBeGreaterThan(5);
    const groupsSeen: number[] = [];
    let lastGroup = -1;
    for (const b of batches) {
      expect(b.setName).toBe('all');
      expect(b.effectiveBatchSize).toBe(8);
      expect(b.batch.inputs.length).toBe(8 * 3);
      const ids = exampleIds(b);
      ids.forEach((e, i) => {
        expect(b.batch.puzzleIdentifiers[i]).toBe(info.puzzleOf[e]! + 1);
        const g = info.groupOf[info.puzzleOf[e]!]!;
        if (g !== lastGroup) groupsSeen.push(g);
        lastGroup = g;
        expect(b.batch.labels[i * 3]).toBe(5);
        expect(b.batch.labels[i * 3 + 2]).toBe(IGNORE_LABEL_ID);
      });
      // Within one batch a puzzle's examples are drawn without replacement.
      expect(new Set(ids).size).toBe(ids.length);
    }
    // A group may straddle two batches (its examples are cut at the batch end) but is never
    // drawn twice in one epoch.
    expect(new Set(groupsSeen).size).toBe(groupsSeen.length);
    // Dropping only the last incomplete batch: at most one batch's worth of groups unused.
    expect(groupsSeen.length).toBeGreaterThan(40 - 8);
  });

  it('is deterministic per seed, advances per iteration, and honours epochsPerIter', () => {
    const opts = { datasetPaths: [synth], split: 'train' as const, globalBatchSize: 8, seed: 5 };
    const a = new PuzzleDataset(opts);
    const b = new PuzzleDataset(opts);
    const a1 = [...a.iterTrain()].map(exampleIds);
    expect([...b.iterTrain()].map(exampleIds)).toEqual(a1);
    expect([...a.iterTrain()].map(exampleIds)).not.toEqual(a1);
    expect([...new PuzzleDataset({ ...opts, seed: 6 }).iterTrain()].map(exampleIds)).not.toEqual(
      a1,
    );
    const three = [...new PuzzleDataset({ ...opts, epochsPerIter: 3 }).iterTrain()];
    expect(three.length).toBeGreaterThan(a1.length * 2.5);
  });

  it('gives each rank its contiguous slice of the global batch', () => {
    const base = { datasetPaths: [synth], split: 'train' as const, globalBatchSize: 8, seed: 1 };
    const global = [...new PuzzleDataset(base).iterTrain()];
    const r0 = [...new PuzzleDataset({ ...base, rank: 0, numReplicas: 2 }).iterTrain()];
    const r1 = [...new PuzzleDataset({ ...base, rank: 1, numReplicas: 2 }).iterTrain()];
    expect(r0.length).toBe(global.length);
    global.forEach((g, i) => {
      expect(r0[i]!.batch.inputs.length).toBe(4 * 3);
      expect([...r0[i]!.batch.inputs, ...r1[i]!.batch.inputs]).toEqual([...g.batch.inputs]);
      expect([...r0[i]!.batch.puzzleIdentifiers, ...r1[i]!.batch.puzzleIdentifiers]).toEqual([
        ...g.batch.puzzleIdentifiers,
      ]);
      expect(r1[i]!.effectiveBatchSize).toBe(8);
    });
    expect(() => new PuzzleDataset({ ...base, numReplicas: 3 })).toThrow(
      /multiple of numReplicas 3/,
    );
  });

  it('matches the reference step count quirk for Sudoku (one example per group per epoch)', () => {
    const meta = { total_groups: 1000, mean_puzzle_examples: 1 } as DatasetMetadata;
    expect(totalTrainSteps(meta, 50000, 1536)).toBe(32552);
  });
});

describe('PuzzleDataset (test)', () => {
  it('walks examples in order and pads the last batch', () => {
    const ds = new PuzzleDataset({ datasetPaths: [synth], split: 'test', globalBatchSize: 16 });
    const batches = [...ds];
    expect(batches.length).toBe(Math.ceil(info.examples / 16));
    const all = batches.flatMap((b) => exampleIds(b));
    const real = all.filter((e) => e >= 0);
    expect(real).toEqual(Array.from({ length: info.examples }, (_, i) => i));
    const last = batches[batches.length - 1]!;
    const n = info.examples % 16 || 16;
    expect(last.effectiveBatchSize).toBe(n);
    for (let i = n; i < 16; i++) {
      expect(last.batch.puzzleIdentifiers[i]).toBe(0);
      expect(Array.from(last.batch.inputs.subarray(i * 3, i * 3 + 3))).toEqual([0, 0, 0]);
      expect(Array.from(last.batch.labels.subarray(i * 3, i * 3 + 3))).toEqual([-100, -100, -100]);
    }
    for (const b of batches) {
      exampleIds(b).forEach((e, i) => {
        if (e >= 0) expect(b.batch.puzzleIdentifiers[i]).toBe(info.puzzleOf[e]! + 1);
      });
    }
  });

  it('shards test batches by rank', () => {
    const base = { datasetPaths: [synth], split: 'test' as const, globalBatchSize: 16 };
    const g = [...new PuzzleDataset(base)];
    const parts = [0, 1, 2, 3].map((rank) => [
      ...new PuzzleDataset({ ...base, rank, numReplicas: 4 }),
    ]);
    g.forEach((b, i) => {
      const joined = parts.flatMap((p) => exampleIds(p[i]!));
      expect(joined).toEqual(exampleIds(b));
      for (const p of parts) expect(p[i]!.effectiveBatchSize).toBe(b.effectiveBatchSize);
    });
  });
});

describe('merging and compatibility', () => {
  it('merges several dataset paths like the reference', () => {
    const other = join(dir, 'synth2');
    // The reference merges only datasets with as many identifiers as the first.
    writeSynthetic(other, 10, 3, info.numIds);
    const ds = new PuzzleDataset({
      datasetPaths: [synth, other],
      split: 'test',
      globalBatchSize: 32,
    });
    expect(ds.metadata.total_groups).toBe(50);
    expect(ds.metadata.num_puzzle_identifiers).toBeGreaterThan(80);
    const names = new Set([...ds].map((b) => b.setName));
    expect([...names]).toEqual(['all', 'all1']);
    const bad = join(dir, 'synth-bad');
    writeSynthetic(bad, 5, 4);
    expect(
      () => new PuzzleDataset({ datasetPaths: [synth, bad], split: 'train', globalBatchSize: 8 }),
    ).toThrow(/synth-bad\/train\/dataset.json: seq_len is 4/);
  });

  it('refuses to merge datasets whose num_puzzle_identifiers differ, naming both, as the reference does', () => {
    const other = join(dir, 'synth-ids');
    writeSynthetic(other, 10);
    let err: unknown;
    try {
      new PuzzleDataset({ datasetPaths: [synth, other], split: 'train', globalBatchSize: 8 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DatasetError);
    const message = (err as Error).message;
    expect(message).toContain(`Cannot merge ${other} with ${synth}:`);
    expect(message).toContain(
      `${join(other, 'train', 'dataset.json')} has num_puzzle_identifiers 20 but ${join(synth, 'train', 'dataset.json')} has ${info.numIds}.`,
    );
    expect(message).not.toContain('\n');
  });

  it('loads a dataset written by NumPy (the Python builder layout)', () => {
    const ref = join(FIXTURES, 'reference-sudoku');
    expect(validateDataset(ref).violations).toEqual([]);
    const ds = new PuzzleDataset({ datasetPaths: [ref], split: 'test', globalBatchSize: 4 });
    const [b] = [...ds];
    const q = sudokuTokens(
      '53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79',
    );
    expect(Array.from(b!.batch.inputs.subarray(0, 81))).toEqual(Array.from(q));
    expect(b!.effectiveBatchSize).toBe(2);
    const train = [
      ...new PuzzleDataset({ datasetPaths: [ref], split: 'train', globalBatchSize: 3 }),
    ];
    expect(train.length).toBe(1);
  });

  it('accepts int64 token arrays (as np.save writes for default-int arrays)', () => {
    const wide = join(dir, 'wide');
    cpSync(synth, wide, { recursive: true });
    for (const f of ['all__inputs.npy', 'all__labels.npy']) {
      const p = join(wide, 'test', f);
      const a = readNpy(p);
      writeNpy(p, BigInt64Array.from(a.data as Int32Array, BigInt), a.shape);
    }
    const narrow = [
      ...new PuzzleDataset({ datasetPaths: [synth], split: 'test', globalBatchSize: 16 }),
    ];
    const widened = [
      ...new PuzzleDataset({ datasetPaths: [wide], split: 'test', globalBatchSize: 16 }),
    ];
    expect(widened.map((b) => [...b.batch.inputs, ...b.batch.labels])).toEqual(
      narrow.map((b) => [...b.batch.inputs, ...b.batch.labels]),
    );
  });

  it('names the file when dataset.json is missing or inconsistent', () => {
    const broken = join(dir, 'broken');
    cpSync(synth, broken, { recursive: true });
    writeFileSync(join(broken, 'train', 'dataset.json'), '{"pad_id": 0}');
    expect(
      () => new PuzzleDataset({ datasetPaths: [broken], split: 'train', globalBatchSize: 8 }),
    ).toThrow(DatasetError);
    expect(
      () => new PuzzleDataset({ datasetPaths: [broken], split: 'train', globalBatchSize: 8 }),
    ).toThrow(/broken\/train\/dataset.json: invalid dataset.json: 'blank_identifier_id' must be/);
    expect(
      () =>
        new PuzzleDataset({
          datasetPaths: [join(dir, 'nope')],
          split: 'train',
          globalBatchSize: 8,
        }),
    ).toThrow(/nope\/train\/dataset.json: cannot read/);
  });
});

describe('loading checks every invariant it relies on', () => {
  /** A copy of the synthetic dataset with one array of the train split rewritten. */
  function broken(
    field: string,
    edit: (a: number[]) => number[],
    as: 'i4' | 'i8' | 'f4' | 'u1' = 'i4',
  ): PuzzleDataset {
    const root = join(tempDir(), 'ds');
    cpSync(synth, root, { recursive: true });
    const file = join(root, 'train', `all__${field}.npy`);
    const arr = readNpy(file);
    const data = edit(Array.from(arr.data as ArrayLike<number>, Number));
    const typed =
      as === 'i8'
        ? BigInt64Array.from(data, (x) => BigInt(x))
        : as === 'f4'
          ? Float32Array.from(data)
          : as === 'u1'
            ? Uint8Array.from(data)
            : Int32Array.from(data);
    const shape = data.length === arr.data.length ? arr.shape : [data.length];
    writeNpy(file, typed, shape);
    return new PuzzleDataset({ datasetPaths: [root], split: 'train', globalBatchSize: 4 });
  }
  const at = (i: number, v: number) => (a: number[]) => a.map((x, j) => (j === i ? v : x));

  it.each([
    [
      'inputs',
      at(7, 101),
      /all__inputs\.npy: row 2, position 1: token 101 is outside the vocabulary 0\.\.100/,
    ],
    ['inputs', at(0, -3), /row 0, position 0: token -3/],
    [
      'labels',
      at(4, 500),
      /all__labels\.npy: row 1, position 1: label 500 .* is not ignore_label_id 0/,
    ],
    [
      'puzzle_identifiers',
      at(3, -1),
      /all__puzzle_identifiers\.npy: puzzle 3: identifier -1 is outside/,
    ],
    [
      'puzzle_identifiers',
      at(3, 5000),
      /identifier 5000 is outside 0\.\.\d+ \(num_puzzle_identifiers/,
    ],
    ['puzzle_indices', at(0, 1), /all__puzzle_indices\.npy: entry 0 is 1, not 0/],
    ['puzzle_indices', at(3, 0), /entry 4 is \d+ after 0|entry 3 is 0 after \d+/],
    [
      'puzzle_indices',
      (a: number[]) => a.map((x, j) => (j === a.length - 1 ? x + 5 : x)),
      /the last entry is \d+, but there are \d+ examples/,
    ],
    [
      'group_indices',
      at(2, 1),
      /all__group_indices\.npy: entry \d+ is \d+ after \d+: the offsets must increase \(no empty group\)/,
    ],
    [
      'group_indices',
      (a: number[]) => a.slice(0, -1),
      /the last entry is \d+, but there are \d+ puzzles/,
    ],
  ] as const)('refuses a bad %s', (field, edit, message) => {
    const ds = broken(field, edit as (a: number[]) => number[]);
    expect(() => ds.preload()).toThrow(DatasetError);
    expect(() => ds.preload()).toThrow(message);
    expect(() => ds.preload()).toThrow(/rebuild the dataset with trm build-dataset/);
  });

  it('refuses int64 values that overflow int32 and float token arrays', () => {
    expect(() => broken('inputs', at(1, 2 ** 40), 'i8').preload()).toThrow(
      /all__inputs\.npy: element 1 is 1099511627776, which does not fit a 32-bit integer/,
    );
    expect(() => broken('labels', (a) => a, 'f4').preload()).toThrow(
      /all__labels\.npy: has dtype f4 \(floating point\)/,
    );
  });

  it('refuses token arrays whose shape disagrees with seq_len, naming dataset.json', () => {
    const ds = broken('inputs', (a) => a.slice(0, a.length - 1));
    expect(() => ds.preload()).toThrow(
      /does not match \[N, seq_len\] with the seq_len 3 of dataset\.json/,
    );
  });

  it('refuses an identifiers.json that disagrees with num_puzzle_identifiers', () => {
    const root = join(tempDir(), 'ds');
    cpSync(synth, root, { recursive: true });
    writeFileSync(join(root, 'identifiers.json'), '["<blank>"]');
    const ds = new PuzzleDataset({ datasetPaths: [root], split: 'test', globalBatchSize: 4 });
    expect(() => ds.preload()).toThrow(
      /identifiers\.json: has 1 names but .*num_puzzle_identifiers \d+/,
    );
  });

  it('refuses dataset.json sizes no dataset has before anything is allocated', () => {
    const root = join(tempDir(), 'ds');
    cpSync(synth, root, { recursive: true });
    const file = join(root, 'train', 'dataset.json');
    const meta = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...meta, seq_len: 1e8 }));
    expect(
      () => new PuzzleDataset({ datasetPaths: [root], split: 'train', globalBatchSize: 4 }),
    ).toThrow(
      /dataset\.json: invalid dataset\.json: 'seq_len' is 100000000, outside 1\.\.1,048,576/,
    );
  });

  it('checks byte token arrays (what the builders write) to the last element', () => {
    const last = (v: number) => (a: number[]) => a.map((x, j) => (j === a.length - 1 ? v : x));
    expect(() => broken('inputs', (a) => a, 'u1').preload()).not.toThrow();
    expect(() => broken('inputs', at(5, 200), 'u1').preload()).toThrow(
      /all__inputs\.npy: row 1, position 2: token 200 is outside the vocabulary 0\.\.100/,
    );
    expect(() => broken('labels', last(101), 'u1').preload()).toThrow(
      /all__labels\.npy: row \d+, position 2: label 101 is outside/,
    );
  });

  it('refuses dataset.json totals that do not describe the arrays', () => {
    for (const [field, value, message] of [
      ['total_groups', 41, /total_groups is 41, but the index arrays hold 40 groups/],
      ['total_puzzles', 7, /total_puzzles is 7, but the index arrays hold \d+ puzzles/],
    ] as const) {
      const root = join(tempDir(), 'ds');
      cpSync(synth, root, { recursive: true });
      const file = join(root, 'test', 'dataset.json');
      writeFileSync(
        file,
        JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), [field]: value }),
      );
      const ds = new PuzzleDataset({ datasetPaths: [root], split: 'test', globalBatchSize: 4 });
      expect(() => ds.preload()).toThrow(message);
      expect(() => ds.preload()).toThrow(/test\/dataset\.json: /);
    }
  });

  it('refuses splits that disagree on what sizes the model', () => {
    const root = join(tempDir(), 'ds');
    cpSync(synth, root, { recursive: true });
    const file = join(root, 'test', 'dataset.json');
    const meta = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...meta, num_puzzle_identifiers: 2000 }));
    const train = new PuzzleDataset({ datasetPaths: [root], split: 'train', globalBatchSize: 4 });
    expect(() => train.preload()).toThrow(
      /train\/dataset\.json: num_puzzle_identifiers is \d+ but \S+test\/dataset\.json has 2000; both splits/,
    );
  });

  it('refuses an empty offsets array', () => {
    expect(() => broken('group_indices', () => []).preload()).toThrow(
      /all__group_indices\.npy: is empty, but it needs at least its leading 0/,
    );
  });

  it('refuses dataset.json values no dataset has, naming each field', () => {
    const root = join(tempDir(), 'ds');
    cpSync(synth, root, { recursive: true });
    const file = join(root, 'train', 'dataset.json');
    const meta = JSON.parse(readFileSync(file, 'utf8'));
    const open = () =>
      new PuzzleDataset({ datasetPaths: [root], split: 'train', globalBatchSize: 4 });
    for (const [patch, message] of [
      [{ vocab_size: 1e6 }, /'vocab_size' is 1000000, outside 1\.\.65,536/],
      [{ ignore_label_id: 2 ** 40 }, /'ignore_label_id' must be a 32-bit integer or null/],
      [{ sets: ['../../elsewhere'] }, /'sets' entry "\.\.\/\.\.\/elsewhere" is not a plain name/],
      [{ sets: ['all', 'all'] }, /'sets' lists a name twice/],
      [{ num_puzzle_identifiers: 0 }, /'num_puzzle_identifiers' is 0, outside 1\.\./],
    ] as const) {
      writeFileSync(file, JSON.stringify({ ...meta, ...patch }));
      expect(open).toThrow(DatasetError);
      expect(open).toThrow(message);
      expect(open).toThrow(/Rebuild the dataset with trm build-dataset/);
    }
  });
});
