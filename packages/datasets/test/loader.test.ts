import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../src/errors.js';
import { writeIdentifiers } from '../src/format/identifiers.js';
import { type DatasetMetadata, writeMetadata } from '../src/format/metadata.js';
import { validateDataset } from '../src/format/validate.js';
import { type BatchItem, IGNORE_LABEL_ID, PuzzleDataset } from '../src/loader/dataset.js';
import { totalTrainSteps } from '../src/loader/metadata.js';
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
): { puzzleOf: number[]; groupOf: number[]; examples: number } {
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
      num_puzzle_identifiers: p + 1,
      total_groups: groups,
      mean_puzzle_examples: n / p,
      total_puzzles: p,
      sets: ['all'],
    };
    writeMetadata(join(d, 'dataset.json'), meta);
  }
  writeIdentifiers(join(root, 'identifiers.json'), [
    '<blank>',
    ...Array.from({ length: p }, (_, i) => `p${i}`),
  ]);
  return { puzzleOf, groupOf, examples: n };
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
    writeSynthetic(other, 10);
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
