import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gridHash, inverseAugment } from '../src/augment/arc.js';
import { buildArcDataset } from '../src/builders/arc.js';
import { SourceDataError } from '../src/errors.js';
import type { ArcGrid, ArcPuzzleSet } from '../src/format/arc-json.js';
import { readMetadata } from '../src/format/metadata.js';
import { validateDataset } from '../src/format/validate.js';
import { readNpy } from '../src/npy/read.js';
import { cropArcGrid } from '../src/render/arc-grid.js';
import { ARC_DATA, HAS_ARC_DATA, tempDir } from './helpers.js';

const N = 30;

/**
 * Decodes one canvas, checking the §11 layout: colours (tokens 2..11) form one h×w block at
 * (r0, c0); EOS (1) fills exactly the row below and the column to the right within the
 * block's extent; everything else is PAD.
 */
function decodeCanvas(tokens: Uint8Array): { grid: ArcGrid; r0: number; c0: number } {
  let r0 = N;
  let c0 = N;
  for (let k = 0; k < N * N; k++) {
    if (tokens[k]! >= 2) {
      r0 = Math.min(r0, Math.floor(k / N));
      c0 = Math.min(c0, k % N);
    }
  }
  let h = 0;
  while (r0 + h < N && tokens[(r0 + h) * N + c0]! >= 2) h++;
  let w = 0;
  while (c0 + w < N && tokens[r0 * N + c0 + w]! >= 2) w++;
  const grid: ArcGrid = [];
  for (let r = 0; r < h; r++)
    grid.push(Array.from(tokens.subarray((r0 + r) * N + c0, (r0 + r) * N + c0 + w), (t) => t - 2));
  const wrong: string[] = [];
  for (let r = 0; r < N; r++) {
    for (let c = 0; c < N; c++) {
      const inside = r >= r0 && r < r0 + h && c >= c0 && c < c0 + w;
      const eos =
        (r === r0 + h && c >= c0 && c < c0 + w) || (c === c0 + w && r >= r0 && r < r0 + h);
      const t = tokens[r * N + c]!;
      if (inside ? t < 2 : t !== (eos ? 1 : 0)) wrong.push(`(${r}, ${c}) = ${t}`);
    }
  }
  expect(wrong).toEqual([]);
  return { grid, r0, c0 };
}

function rand(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function randomGrid(r: () => number, h: number, w: number): ArcGrid {
  return Array.from({ length: h }, () => Array.from({ length: w }, () => Math.floor(r() * 10)));
}

const dir = tempDir();
const prefix = join(dir, 'arc');
const r = rand(7);
const training: ArcPuzzleSet = {
  aaaa0001: {
    train: [
      { input: randomGrid(r, 3, 5), output: randomGrid(r, 4, 2) },
      { input: randomGrid(r, 30, 30), output: randomGrid(r, 1, 1) },
    ],
    test: [{ input: randomGrid(r, 6, 6), output: randomGrid(r, 6, 6) }],
  },
  // Colour maps cannot change an all-zero puzzle; only transposing transforms do, so
  // de-duplication keeps exactly two variants.
  zero0002: {
    train: [{ input: [[0, 0]], output: [[0]] }],
    test: [{ input: [[0]], output: [[0, 0]] }],
  },
};
const evaluation = {
  eval0003: {
    train: [
      { input: randomGrid(r, 2, 3), output: randomGrid(r, 3, 2) },
      { input: randomGrid(r, 4, 4), output: randomGrid(r, 2, 2) },
    ],
    test: [{ input: randomGrid(r, 5, 7) }, { input: randomGrid(r, 1, 9) }],
  },
  eval0004: {
    train: [{ input: randomGrid(r, 9, 9), output: randomGrid(r, 9, 9) }],
    test: [{ input: randomGrid(r, 3, 3) }],
  },
};
const evalSolutions = {
  eval0003: [randomGrid(r, 5, 7), randomGrid(r, 2, 2)],
  eval0004: [randomGrid(r, 3, 3)],
};
writeFileSync(`${prefix}_training_challenges.json`, JSON.stringify(training));
writeFileSync(`${prefix}_evaluation_challenges.json`, JSON.stringify(evaluation));
writeFileSync(`${prefix}_evaluation_solutions.json`, JSON.stringify(evalSolutions));

const NUM_AUG = 6;
const out = join(dir, 'out');

function pairsOf(name: string, split: 'train' | 'test'): [ArcGrid, ArcGrid][] {
  if (name in training) {
    const p = training[name as keyof typeof training]!;
    return split === 'train' ? [...p.train, ...p.test].map((x) => [x.input, x.output!]) : [];
  }
  const p = evaluation[name as keyof typeof evaluation]!;
  const sols = evalSolutions[name as keyof typeof evalSolutions];
  return split === 'train'
    ? p.train.map((x) => [x.input, x.output])
    : p.test.map((x, i) => [x.input, sols[i]!]);
}

function readSplit(split: string) {
  const f = (k: string) => readNpy(join(out, split, `all__${k}.npy`)).data;
  return {
    inputs: f('inputs') as Uint8Array,
    labels: f('labels') as Uint8Array,
    ids: f('puzzle_identifiers') as Int32Array,
    pIdx: f('puzzle_indices') as Int32Array,
    gIdx: f('group_indices') as Int32Array,
  };
}

describe('buildArcDataset', () => {
  it('builds train/test splits, identifiers and test_puzzles.json', async () => {
    const res = await buildArcDataset({
      inputFilePrefix: prefix,
      outputDir: out,
      subsets: ['training', 'evaluation'],
      testSetName: 'evaluation',
      numAug: NUM_AUG,
      seed: 1,
    });
    // Groups: 4 in train (one per puzzle), 2 in test (evaluation puzzles only).
    expect(res.train.groups).toBe(4);
    expect(res.test.groups).toBe(2);
    // zero0002 only has two distinct variants (its shape transposed or not); the others
    // get every requested variant.
    expect(res.train.puzzles).toBe(3 * (NUM_AUG + 1) + 2);
    expect(res.train.examples).toBe((3 + 2 + 1) * (NUM_AUG + 1) + 2 * 2);
    expect(res.test.examples).toBe(3 * (NUM_AUG + 1));
    const meta = readMetadata(join(out, 'train', 'dataset.json'));
    expect(meta).toMatchObject({
      vocab_size: 12,
      seq_len: 900,
      pad_id: 0,
      ignore_label_id: 0,
      total_puzzles: res.train.puzzles,
    });
    expect(meta.mean_puzzle_examples).toBeCloseTo(res.train.examples / res.train.puzzles, 12);
    expect(meta.num_puzzle_identifiers).toBe(res.train.puzzles + 1);
    expect(validateDataset(out)).toEqual({ ok: true, violations: [] });
    const tp = JSON.parse(readFileSync(join(out, 'test_puzzles.json'), 'utf8')) as ArcPuzzleSet;
    expect(Object.keys(tp).sort()).toEqual(['eval0003', 'eval0004']);
    expect(tp.eval0003!.test[1]!.output).toEqual(evalSolutions.eval0003[1]);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  for (const split of ['train', 'test'] as const) {
    it(`maps every ${split} variant back to the original through inverseAugment, with EOS per §11`, () => {
      const ids = JSON.parse(readFileSync(join(out, 'identifiers.json'), 'utf8')) as string[];
      expect(ids[0]).toBe('<blank>');
      expect(new Set(ids).size).toBe(ids.length);
      const s = readSplit(split);
      let translated = 0;
      for (let g = 0; g + 1 < s.gIdx.length; g++) {
        const hashes = new Set<string>();
        let original: string | undefined;
        for (let p = s.gIdx[g]!; p < s.gIdx[g + 1]!; p++) {
          const variant = ids[s.ids[p]!]!;
          const { name, invert } = inverseAugment(variant);
          if (p === s.gIdx[g]) {
            expect(variant).toBe(name);
            original = name;
          } else {
            expect(name).toBe(original);
            expect(variant).toMatch(/^[a-z0-9]+\|\|\|t[0-7]\|\|\|0\d{9}$/);
          }
          const expected = pairsOf(name, split);
          expect(s.pIdx[p + 1]! - s.pIdx[p]!).toBe(expected.length);
          let untranslated = 0;
          const parts: string[] = [];
          for (let e = s.pIdx[p]!; e < s.pIdx[p + 1]!; e++) {
            const a = decodeCanvas(s.inputs.subarray(e * 900, (e + 1) * 900));
            const b = decodeCanvas(s.labels.subarray(e * 900, (e + 1) * 900));
            expect([a.r0, a.c0]).toEqual([b.r0, b.c0]);
            if (a.r0 === 0 && a.c0 === 0) untranslated++;
            if (split === 'test') expect([a.r0, a.c0]).toEqual([0, 0]);
            const [inp, outp] = expected[e - s.pIdx[p]!]!;
            expect(invert(a.grid)).toEqual(inp);
            expect(invert(b.grid)).toEqual(outp);
            parts.push(`${gridHash(a.grid)}|${gridHash(b.grid)}`);
          }
          expect(untranslated).toBeGreaterThanOrEqual(1);
          translated += s.pIdx[p + 1]! - s.pIdx[p]! - untranslated;
          hashes.add(parts.sort().join('|'));
        }
        // All variants of a group are distinct.
        expect(hashes.size).toBe(s.gIdx[g + 1]! - s.gIdx[g]!);
      }
      // Train examples other than the one kept in place are moved to random offsets.
      if (split === 'train') expect(translated).toBeGreaterThan(10);
      else expect(translated).toBe(0);
    });
  }

  it('crops canvases like the evaluator', () => {
    const s = readSplit('test');
    const grid = cropArcGrid(s.inputs.subarray(0, 900));
    expect(grid).toEqual(decodeCanvas(s.inputs.subarray(0, 900)).grid);
  });

  it('rejects oversized grids and bad colours, naming the file and puzzle, leaving no output', async () => {
    const badPrefix = join(dir, 'bad');
    const cases: [unknown, RegExp][] = [
      [randomGrid(r, 31, 2), /puzzle p1 train\[0\]\.input: grid has 31 rows \(max 30\)/],
      [[[1, 10]], /puzzle p1 train\[0\]\.input: cell \(0, 1\) is 10, not a colour 0\.\.9/],
      [[[1, 2], [3]], /row 1 has a different length/],
    ];
    for (const [grid, pattern] of cases) {
      writeFileSync(
        `${badPrefix}_training_challenges.json`,
        JSON.stringify({ p1: { train: [{ input: grid, output: [[1]] }], test: [] } }),
      );
      const err = await buildArcDataset({
        inputFilePrefix: badPrefix,
        outputDir: join(dir, 'bad-out'),
        subsets: ['training'],
        testSetName: 'evaluation',
        numAug: 2,
      }).catch((e) => e);
      expect(err).toBeInstanceOf(SourceDataError);
      expect(err.message).toContain(`${badPrefix}_training_challenges.json`);
      expect(err.message).toMatch(pattern);
      expect(err.puzzle).toBe('p1');
      expect(existsSync(join(dir, 'bad-out'))).toBe(false);
    }
  });
});

describe.skipIf(!HAS_ARC_DATA)('buildArcDataset on the ARC-AGI JSON', () => {
  it('puts evaluation demonstrations in train and evaluation test pairs in test', async () => {
    const realOut = join(dir, 'real');
    const aug = 1;
    const res = await buildArcDataset({
      inputFilePrefix: join(ARC_DATA, 'arc-agi'),
      outputDir: realOut,
      subsets: ['training', 'evaluation'],
      testSetName: 'evaluation',
      numAug: aug,
    });
    const ch = (s: string) =>
      JSON.parse(readFileSync(join(ARC_DATA, `arc-agi_${s}_challenges.json`), 'utf8')) as Record<
        string,
        { train: unknown[]; test: unknown[] }
      >;
    const tr = Object.values(ch('training'));
    const ev = Object.values(ch('evaluation'));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(res.train.groups).toBe(tr.length + ev.length);
    expect(res.test.groups).toBe(ev.length);
    const trainExamples =
      sum(tr.map((p) => p.train.length + p.test.length)) + sum(ev.map((p) => p.train.length));
    const testExamples = sum(ev.map((p) => p.test.length));
    // Every puzzle gets its one variant unless it is colour- and shape-symmetric.
    expect(res.train.examples).toBeGreaterThan(trainExamples * (aug + 1) * 0.99);
    expect(res.train.examples).toBeLessThanOrEqual(trainExamples * (aug + 1));
    expect(res.test.examples).toBeLessThanOrEqual(testExamples * (aug + 1));
    expect(res.test.examples).toBeGreaterThan(testExamples * (aug + 1) * 0.99);
    const tp = JSON.parse(readFileSync(join(realOut, 'test_puzzles.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(Object.keys(tp).sort()).toEqual(Object.keys(ch('evaluation')).sort());
    expect(validateDataset(realOut).violations).toEqual([]);
  });
});
