import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSudokuDataset } from '../src/builders/sudoku.js';
import { encodeSudoku, sudokuSolutionProblem } from '../src/builders/sudoku-codec.js';
import { SourceDataError } from '../src/errors.js';
import { readMetadata } from '../src/format/metadata.js';
import { validateDataset } from '../src/format/validate.js';
import { writePuzzleCsvSplits } from '../src/generators/csv.js';
import { generateSudokus } from '../src/generators/sudoku.js';
import { readNpy } from '../src/npy/read.js';
import { hasNumpy, python, tempDir } from './helpers.js';

const dir = tempDir();
const src9 = join(dir, 'src9');
writePuzzleCsvSplits(src9, generateSudokus(12, 1), generateSudokus(5, 2));

function rows(path: string): Uint8Array[] {
  const a = readNpy(path);
  const data = a.data as Uint8Array;
  return Array.from({ length: a.shape[0]! }, (_, i) =>
    data.subarray(i * a.shape[1]!, (i + 1) * a.shape[1]!),
  );
}

describe('buildSudokuDataset', () => {
  it('writes the reference layout with the total_puzzles/mean_puzzle_examples quirk', async () => {
    const out = join(dir, 'out-a');
    const res = await buildSudokuDataset({ source: src9, outputDir: out, numAug: 7, seed: 3 });
    expect(res.train).toEqual({ examples: 12 * 8, puzzles: 12 * 8, groups: 12 });
    expect(res.test).toEqual({ examples: 5, puzzles: 5, groups: 5 });
    const meta = readMetadata(join(out, 'train', 'dataset.json'));
    expect(meta).toEqual({
      pad_id: 0,
      ignore_label_id: 0,
      blank_identifier_id: 0,
      vocab_size: 11,
      seq_len: 81,
      num_puzzle_identifiers: 1,
      total_groups: 12,
      mean_puzzle_examples: 1,
      total_puzzles: 12,
      sets: ['all'],
    });
    expect(JSON.parse(readFileSync(join(out, 'identifiers.json'), 'utf8'))).toEqual(['<blank>']);
    expect(readdirSync(join(out, 'train')).sort()).toEqual([
      'all__group_indices.npy',
      'all__inputs.npy',
      'all__labels.npy',
      'all__puzzle_identifiers.npy',
      'all__puzzle_indices.npy',
      'dataset.json',
    ]);
    expect(readNpy(join(out, 'train', 'all__inputs.npy')).dtype).toBe('u1');
    expect(
      Array.from(readNpy(join(out, 'train', 'all__group_indices.npy')).data as Int32Array),
    ).toEqual(Array.from({ length: 13 }, (_, g) => g * 8));
    expect(validateDataset(out)).toEqual({ ok: true, violations: [] });
    // No temporary directories left next to the output.
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('makes every augmented example a valid puzzle whose label is its solution', () => {
    const out = join(dir, 'out-a');
    const inputs = rows(join(out, 'train', 'all__inputs.npy'));
    const labels = rows(join(out, 'train', 'all__labels.npy'));
    const originals = new Set<string>();
    inputs.forEach((q, i) => {
      const a = labels[i]!;
      expect(sudokuSolutionProblem(a, 9)).toBeUndefined();
      for (let k = 0; k < 81; k++) {
        expect(q[k]).toBeGreaterThanOrEqual(1);
        if (q[k] !== 1) expect(q[k]).toBe(a[k]);
      }
      if (i % 8 === 0) originals.add(Buffer.from(q).toString('hex'));
      // Each augmented copy has exactly as many givens as its group's original.
      const orig = inputs[i - (i % 8)]!;
      expect(q.filter((t) => t === 1).length).toBe(orig.filter((t) => t === 1).length);
    });
    expect(originals.size).toBe(12);
    // The test split is never augmented: it equals the source rows in order.
    const testIn = rows(join(out, 'test', 'all__inputs.npy'));
    const csv = readFileSync(join(src9, 'test.csv'), 'utf8').trim().split('\n').slice(1);
    testIn.forEach((q, i) => {
      const question = csv[i]!.split(',')[1]!;
      expect(Array.from(q)).toEqual(
        Array.from(question, (ch) => (ch === '.' ? 1 : Number(ch) + 1)),
      );
    });
  });

  it('is deterministic for a seed, and subsamples / filters by difficulty', async () => {
    const a = join(dir, 'det-a');
    const b = join(dir, 'det-b');
    await buildSudokuDataset({ source: src9, outputDir: a, numAug: 3, seed: 9, subsampleSize: 5 });
    await buildSudokuDataset({ source: src9, outputDir: b, numAug: 3, seed: 9, subsampleSize: 5 });
    for (const f of ['all__inputs.npy', 'all__labels.npy']) {
      expect(readFileSync(join(a, 'train', f))).toEqual(readFileSync(join(b, 'train', f)));
    }
    expect(readMetadata(join(a, 'train', 'dataset.json')).total_groups).toBe(5);
    const ratings = readFileSync(join(src9, 'train.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => Number(l.split(',')[3]));
    const min = [...ratings].sort((x, y) => x - y)[6]!;
    const c = join(dir, 'det-c');
    const res = await buildSudokuDataset({ source: src9, outputDir: c, minDifficulty: min });
    expect(res.train.groups).toBe(ratings.filter((r) => r >= min).length);
  });

  it('builds 4×4 and 6×6 sources with their own vocabulary', async () => {
    for (const size of [4, 6] as const) {
      const src = join(dir, `src${size}`);
      writePuzzleCsvSplits(src, generateSudokus(4, 1, { size }), generateSudokus(2, 2, { size }));
      const out = join(dir, `out${size}`);
      await buildSudokuDataset({ source: src, outputDir: out, numAug: 5 });
      const meta = readMetadata(join(out, 'train', 'dataset.json'));
      expect([meta.seq_len, meta.vocab_size]).toEqual([size * size, size + 2]);
      for (const a of rows(join(out, 'train', 'all__labels.npy')))
        expect(sudokuSolutionProblem(a, size)).toBeUndefined();
      expect(validateDataset(out).ok).toBe(true);
    }
  });

  it('encodeSudoku gives the tokens the builder writes for a CSV row', () => {
    // The 4×4 test split of the previous test: not augmented, in the CSV's order.
    const puzzles = [...generateSudokus(2, 2, { size: 4 })];
    const inputs = rows(join(dir, 'out4', 'test', 'all__inputs.npy'));
    const labels = rows(join(dir, 'out4', 'test', 'all__labels.npy'));
    puzzles.forEach((p, i) => {
      expect([...encodeSudoku(p.question)]).toEqual([...inputs[i]!]);
      expect([...encodeSudoku(p.answer, 'answer')]).toEqual([...labels[i]!]);
    });
    expect([...encodeSudoku('0.2.'.repeat(4))]).toEqual([
      1, 1, 3, 1, 1, 1, 3, 1, 1, 1, 3, 1, 1, 1, 3, 1,
    ]);
    expect(() => encodeSudoku('1234')).toThrow(/question has 4 characters, expected 81/);
    expect(() => encodeSudoku(`5${'.'.repeat(15)}`)).toThrow(/invalid character "5" at position 0/);
    expect(() => encodeSudoku('.'.repeat(16), 'answer')).toThrow(/answer: invalid character "\."/);
  });

  it('refuses to overwrite unless asked', async () => {
    const out = join(dir, 'out-a');
    await expect(buildSudokuDataset({ source: src9, outputDir: out })).rejects.toThrow(
      /already exists/,
    );
    await buildSudokuDataset({ source: src9, outputDir: out, overwrite: true });
    expect(readMetadata(join(out, 'train', 'dataset.json')).total_groups).toBe(12);
  });

  it.skipIf(!hasNumpy())(
    'writes a dataset NumPy reads with the reference dtypes and shapes',
    () => {
      const out = join(dir, 'out-a');
      const res = python(`
import numpy as np, json, os
d = ${JSON.stringify(join(out, 'train'))}
print(json.dumps({k: [str(a.dtype), list(a.shape)] for k, a in ((k, np.load(os.path.join(d, f"all__{k}.npy"), mmap_mode="r")) for k in ["inputs", "labels", "puzzle_identifiers", "puzzle_indices", "group_indices"])}))
`);
      expect(JSON.parse(res)).toEqual({
        inputs: ['uint8', [12, 81]],
        labels: ['uint8', [12, 81]],
        puzzle_identifiers: ['int32', [12]],
        puzzle_indices: ['int32', [13]],
        group_indices: ['int32', [13]],
      });
    },
  );
});

describe('bad Sudoku CSV input', () => {
  const header = 'source,question,answer,rating\n';
  const good = readFileSync(join(src9, 'train.csv'), 'utf8').split('\n')[1]!;
  const [source, q, a] = good.split(',') as [string, string, string];

  async function expectRowError(body: string, pattern: RegExp) {
    const src = join(dir, `bad-${Math.random().toString(36).slice(2)}`);
    writePuzzleCsvSplits(src, [], []);
    writeFileSync(join(src, 'train.csv'), header + body);
    const out = join(dir, 'bad-out');
    const err = await buildSudokuDataset({ source: src, outputDir: out }).catch((e) => e);
    expect(err).toBeInstanceOf(SourceDataError);
    expect(err.message).toContain(join(src, 'train.csv'));
    expect(err.message).toMatch(pattern);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }

  it('names the row for a wrong-length question', () =>
    expectRowError(
      `${good}\n${source},${q.slice(1)},${a},3\n`,
      /:3: question has 80 characters, expected 81/,
    ));
  it('names the row and position for a bad character', () =>
    expectRowError(
      `${source},${q.slice(0, 5)}x${q.slice(6)},${a},0\n`,
      /:2: question has invalid character "x" at position 5/,
    ));
  it('names the row for an answer that is not a solution', () =>
    expectRowError(
      `${source},${'.'.repeat(81)},${'1'.repeat(81)},0\n`,
      /:2: answer row 0 is not a permutation/,
    ));
  it('names the row for the wrong number of fields', () =>
    expectRowError(`${source},${q},${a}\n`, /:2: expected 4 fields/));
  it('names the row for a rating that is not a number', () =>
    expectRowError(`${good}\n${source},${q},${a},hard\n`, /:3: rating 'hard' is not a number/));
  it('says when the difficulty filter leaves no puzzle', async () => {
    const src = join(dir, 'too-hard');
    writePuzzleCsvSplits(src, [], []);
    writeFileSync(join(src, 'train.csv'), `${header}${good}\n`);
    writeFileSync(join(src, 'test.csv'), `${header}${good}\n`);
    const rating = Number(good.split(',')[3]);
    const err = await buildSudokuDataset({
      source: src,
      outputDir: join(dir, 'th'),
      minDifficulty: rating + 1,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(SourceDataError);
    expect(err.message).toMatch(
      new RegExp(
        `no puzzles in \\S*too-hard/train\\.csv with a rating of at least ${rating + 1} \\(of its 1\\)`,
      ),
    );
    expect(existsSync(join(dir, 'th'))).toBe(false);
  });
  it('refuses a CSV with only its header (an empty dataset is no dataset)', async () => {
    const src = join(dir, 'header-only');
    writePuzzleCsvSplits(src, [], []);
    writeFileSync(join(src, 'test.csv'), `${header}${good}\n`);
    const err = await buildSudokuDataset({ source: src, outputDir: join(dir, 'ho') }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(SourceDataError);
    expect(err.message).toMatch(
      /no puzzles in \S*header-only\/train\.csv \(it holds only the header\)/,
    );
    expect(existsSync(join(dir, 'ho'))).toBe(false);
  });
  it('accepts a UTF-8 byte-order mark before the header', async () => {
    const src = join(dir, 'bom');
    writePuzzleCsvSplits(src, [], []);
    writeFileSync(join(src, 'train.csv'), `\uFEFF${header}${good}\n`);
    writeFileSync(join(src, 'test.csv'), `${header}${good}\n`);
    const res = await buildSudokuDataset({ source: src, outputDir: join(dir, 'bom-out') });
    expect(res.train.examples).toBe(1);
  });
  it('rejects a wrong header', async () => {
    const src = join(dir, 'bad-header');
    writePuzzleCsvSplits(src, [], []);
    writeFileSync(join(src, 'train.csv'), 'a,b\n');
    await expect(buildSudokuDataset({ source: src, outputDir: join(dir, 'x') })).rejects.toThrow(
      /train.csv:1: expected header/,
    );
  });
  it('reports a missing source', async () => {
    await expect(
      buildSudokuDataset({ source: join(dir, 'nope'), outputDir: join(dir, 'x') }),
    ).rejects.toThrow(/nope: neither a local directory/);
  });
});
