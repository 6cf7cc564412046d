import { cpSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSudokuDataset } from '../src/builders/sudoku.js';
import { DatasetError, DatasetValidationError, SourceDataError } from '../src/errors.js';
import { readArcPuzzles, readTestPuzzles, writeTestPuzzles } from '../src/format/arc-json.js';
import { readIdentifiers, writeIdentifiers } from '../src/format/identifiers.js';
import { readMetadata, writeMetadata } from '../src/format/metadata.js';
import { assertValidDataset, validateDataset } from '../src/format/validate.js';
import { writePuzzleCsvSplits } from '../src/generators/csv.js';
import { generateSudokus } from '../src/generators/sudoku.js';
import { readNpy } from '../src/npy/read.js';
import { writeNpy } from '../src/npy/write.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
const good = join(dir, 'good');
const src = join(dir, 'src');
writePuzzleCsvSplits(src, generateSudokus(6, 1, { size: 4 }), generateSudokus(3, 2, { size: 4 }));
await buildSudokuDataset({ source: src, outputDir: good, numAug: 2 });

function copy(name: string): string {
  const d = join(dir, name);
  rmSync(d, { recursive: true, force: true });
  cpSync(good, d, { recursive: true });
  return d;
}

describe('dataset.json / identifiers.json / test_puzzles.json', () => {
  it('round-trips metadata and rejects invalid fields, naming each', () => {
    const p = join(good, 'train', 'dataset.json');
    const m = readMetadata(p);
    const out = join(dir, 'meta.json');
    writeMetadata(out, m);
    expect(readMetadata(out)).toEqual(m);
    writeFileSync(out, JSON.stringify({ ...m, seq_len: -1, sets: [], ignore_label_id: 'x' }));
    expect(() => readMetadata(out)).toThrow(
      /meta.json: invalid dataset.json: 'seq_len' must be a non-negative integer.*'ignore_label_id'.*'sets'/,
    );
    writeFileSync(out, '{not json');
    expect(() => readMetadata(out)).toThrow(/meta.json: dataset.json is not valid JSON/);
    expect(() => writeMetadata(out, { ...m, pad_id: 99 })).toThrow(
      /pad_id 99 is outside vocab_size/,
    );
  });

  it('round-trips identifiers and ARC puzzles', () => {
    const p = join(dir, 'ids.json');
    writeIdentifiers(p, ['<blank>', 'a', 'b|||t1|||0123456789']);
    expect(readIdentifiers(p)).toEqual(['<blank>', 'a', 'b|||t1|||0123456789']);
    expect(() => writeIdentifiers(p, ['a'])).toThrow(/entry 0 must be '<blank>'/);
    const tp = join(dir, 'test_puzzles.json');
    const puzzles = {
      x1: { train: [{ input: [[1]], output: [[2]] }], test: [{ input: [[3]], output: [[4, 5]] }] },
    };
    writeTestPuzzles(tp, puzzles);
    expect(readTestPuzzles(tp)).toEqual(puzzles);
    const demo = [{ input: [[1]], output: [[2]] }];
    writeFileSync(tp, JSON.stringify({ x1: { train: demo, test: [{ input: [[3]] }] } }));
    expect(() => readTestPuzzles(tp)).toThrow(
      /puzzle x1 test\[0\]\.output: grid must be a non-empty list/,
    );
    expect(Object.keys(readArcPuzzles(tp))).toEqual(['x1']);
    writeFileSync(tp, JSON.stringify({ x1: { train: [], test: [{ input: [[3]] }] } }));
    expect(() => readArcPuzzles(tp)).toThrow(/puzzle x1 has an empty 'train' list/);
  });

  it.each([
    ['malformed JSON', '{"p1": {"train": [', /arc\.json: ARC JSON file is not valid JSON/],
    ['a list of puzzles', '[]', /arc\.json: expected an object of puzzles keyed by name/],
    [
      'a puzzle without train',
      '{"p1": {"test": [{"input": [[1]]}]}}',
      /arc\.json: puzzle p1 has no 'train' list/,
    ],
    [
      'a puzzle without test',
      `{"p1": {"train": ${JSON.stringify([{ input: [[1]], output: [[1]] }])}}}`,
      /puzzle p1 has no 'test' list/,
    ],
    [
      'an empty test list',
      `{"p1": {"train": ${JSON.stringify([{ input: [[1]], output: [[1]] }])}, "test": []}}`,
      /puzzle p1 has an empty 'test' list/,
    ],
    [
      'a pair that is no object',
      '{"p1": {"train": [7], "test": [7]}}',
      /puzzle p1 train\[0\] is not an object/,
    ],
    [
      'a ragged grid',
      '{"p1": {"train": [{"input": [[1, 2], [3]], "output": [[1]]}], "test": [{"input": [[1]]}]}}',
      /puzzle p1 train\[0\]\.input: row 1 has a different length than row 0/,
    ],
    [
      'a colour of 10',
      '{"p1": {"train": [{"input": [[10]], "output": [[1]]}], "test": [{"input": [[1]]}]}}',
      /cell \(0, 0\) is 10, not a colour 0\.\.9/,
    ],
    [
      'a colour of 1.5',
      '{"p1": {"train": [{"input": [[1.5]], "output": [[1]]}], "test": [{"input": [[1]]}]}}',
      /cell \(0, 0\) is 1\.5, not a colour/,
    ],
    [
      'a 31-column grid',
      `{"p1": {"train": [{"input": [${JSON.stringify(Array(31).fill(0))}], "output": [[1]]}], "test": [{"input": [[1]]}]}}`,
      /grid has 31 columns \(max 30\)/,
    ],
  ])('refuses ARC JSON with %s as a SourceDataError naming the file', (_, text, message) => {
    const p = join(dir, 'arc.json');
    writeFileSync(p, text);
    let err: unknown;
    try {
      readArcPuzzles(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SourceDataError);
    expect((err as Error).message).toContain(p);
    expect((err as Error).message).toMatch(message);
  });

  it.each([
    ['malformed JSON', '["<blank>", ', /ids\.json: identifiers\.json is not valid JSON/],
    [
      'an object',
      '{"0": "<blank>"}',
      /ids\.json: identifiers\.json must be a JSON list of strings/,
    ],
    [
      'a number among the names',
      '["<blank>", 3]',
      /ids\.json: identifiers\.json entry 1 is not a string/,
    ],
    ['no blank first', '["a"]', /entry 0 must be '<blank>'/],
    [
      'a megabyte-long name',
      JSON.stringify(['<blank>', 'x'.repeat(1 << 20)]),
      /entry 1 is 1,048,576 characters long/,
    ],
  ])('refuses an identifiers.json with %s, naming the file', (_, text, message) => {
    const p = join(dir, 'ids.json');
    writeFileSync(p, text);
    expect(() => readIdentifiers(p)).toThrow(DatasetError);
    expect(() => readIdentifiers(p)).toThrow(message);
  });
});

describe('validateDataset', () => {
  it('accepts a freshly built dataset', () => {
    expect(validateDataset(good)).toEqual({ ok: true, violations: [] });
    expect(() => assertValidDataset(good)).not.toThrow();
  });

  it('reports every violation, each naming its file', () => {
    const d = copy('broken');
    const tr = (f: string) => join(d, 'train', f);
    // 1: a token outside the vocabulary.
    const inputs = readNpy(tr('all__inputs.npy'));
    (inputs.data as Uint8Array)[20] = 77;
    writeNpy(tr('all__inputs.npy'), inputs.data, inputs.shape);
    // 2: puzzle_indices not monotonic.
    const pIdx = readNpy(tr('all__puzzle_indices.npy')).data as Int32Array;
    pIdx[3] = 1;
    writeNpy(tr('all__puzzle_indices.npy'), pIdx);
    // 3: an identifier outside num_puzzle_identifiers.
    const ids = readNpy(tr('all__puzzle_identifiers.npy')).data as Int32Array;
    ids[0] = 5;
    writeNpy(tr('all__puzzle_identifiers.npy'), ids);
    // 4: metadata totals and seq_len disagree with the arrays (test split).
    const tm = readMetadata(join(d, 'test', 'dataset.json'));
    writeMetadata(join(d, 'test', 'dataset.json'), { ...tm, total_groups: 99, seq_len: 17 });
    // 5: identifiers.json of the wrong length.
    writeFileSync(join(d, 'identifiers.json'), JSON.stringify(['<blank>', 'extra']));
    const r = validateDataset(d);
    expect(r.ok).toBe(false);
    const text = r.violations.join('\n');
    expect(text).toMatch(
      /train\/all__inputs.npy: token 77 at example 1, position 4 is outside the vocabulary 0..5/,
    );
    expect(text).toMatch(/train\/all__puzzle_indices.npy: offsets decrease at index 3/);
    expect(text).toMatch(
      /train\/all__puzzle_identifiers.npy: identifier 5 of puzzle 0 is outside 0..0/,
    );
    expect(text).toMatch(/test\/all__inputs.npy: shape \(3, 16\) is not \[N, seq_len=17\]/);
    expect(text).toMatch(
      /test\/dataset.json: total_groups is 99 but the index arrays hold 3 groups/,
    );
    expect(text).toMatch(/identifiers.json: has 2 entries but num_puzzle_identifiers is 1/);
    expect(() => assertValidDataset(d)).toThrow(DatasetValidationError);
  });

  it('reports a missing dataset.json and a truncated .npy', () => {
    const d = copy('missing');
    rmSync(join(d, 'test', 'dataset.json'));
    truncateSync(join(d, 'train', 'all__labels.npy'), 200);
    const text = validateDataset(d).violations.join('\n');
    expect(text).toMatch(/test\/dataset.json: missing/);
    expect(text).toMatch(/train\/all__labels.npy: truncated .npy file/);
    expect(validateDataset(join(dir, 'nothing')).violations[0]).toMatch(
      /no train\/ or test\/ split/,
    );
    expect(new DatasetError('x', { file: 'f' }).file).toBe('f');
  });
});
