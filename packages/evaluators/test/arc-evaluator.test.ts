import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ArcEvaluator,
  type ArcSubmission,
  createEvaluators,
  type Grid,
  type TestPuzzles,
  validateSubmission,
} from '../src/index.js';
import { type ArcRow, arcBatch, augment, variant } from './arc-helpers.js';

const metadata = { seq_len: 900, blank_identifier_id: 0, pad_id: 0 };

// Three puzzles; p1 has two test inputs.
const A: Grid = [
  [1, 2, 3],
  [4, 5, 6],
];
const A_OUT: Grid = [
  [1, 0],
  [0, 2],
  [3, 4],
];
const B: Grid = [[7, 7, 0, 9]];
const B_OUT: Grid = [[9], [0], [7], [7]];
const C: Grid = [
  [0, 1],
  [1, 0],
];
const C_OUT: Grid = [
  [2, 2, 2],
  [2, 8, 2],
];
const D: Grid = [[3]];
const testPuzzles: TestPuzzles = {
  p1: {
    train: [{ input: [[0]], output: [[1]] }],
    test: [
      { input: A, output: A_OUT },
      { input: B, output: B_OUT },
    ],
  },
  p2: { train: [], test: [{ input: C, output: C_OUT }] },
  p3: { train: [], test: [{ input: D, output: [[4]] }] },
};

/** A family of distinct wrong answers. */
const wrong = (i: number): Grid => [[i % 10, Math.floor(i / 10)]];

const PERM = '0394817265'; // 0 fixed, 1..9 permuted
const identifiers = ['<blank>', 'p1', 'p2', 'p3'];
for (let t = 0; t < 8; t++) identifiers.push(variant('p1', t, PERM));
const idOf = (name: string): number => identifiers.indexOf(name);

function evaluator(options: Record<string, unknown> = {}): ArcEvaluator {
  return new ArcEvaluator({ metadata, identifiers, testPuzzles }, options);
}

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'trm-evaluators-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('ARC evaluator: de-augmentation', () => {
  it.each([0, 1, 2, 3, 4, 5, 6, 7])(
    'counts the true output predicted under dihedral %i and a colour permutation as correct',
    (t) => {
      const ev = evaluator();
      ev.begin();
      const name = variant('p1', t, PERM);
      ev.update(
        ...arcBatch([
          { id: idOf(name), input: augment(A, t, PERM), pred: augment(A_OUT, t, PERM), q: 0 },
        ]),
      );
      const r = ev.result();
      // p1's first test input is right, its second has no prediction: p1 scores 1/2.
      expect(r['ARC/pass@1']).toBeCloseTo(0.5 / 3, 15);
      expect(r['ARC/example_pass@1']).toBe(0.25);
      // The submitted attempt is the de-augmented grid, in the original frame.
      expect(ev.submission!.p1![0]).toEqual({ attempt_1: A_OUT, attempt_2: A_OUT });
    },
  );

  it('pools the votes of all 8 transforms into one candidate', () => {
    const ev = evaluator();
    const rows: ArcRow[] = [];
    for (let t = 0; t < 8; t++) {
      const name = variant('p1', t, PERM);
      rows.push({
        id: idOf(name),
        input: augment(A, t, PERM),
        pred: augment(A_OUT, t, PERM),
        q: 1,
      });
      // A wrong answer in the augmented frame, repeated: 8 different grids once de-augmented.
      rows.push({ id: idOf(name), input: augment(A, t, PERM), pred: [[5, 5, 6]], q: 9 });
    }
    ev.update(...arcBatch(rows));
    const r = ev.result();
    expect(r['ARC/example_pass@1']).toBe(0.25);
  });

  it('does not count the augmented-frame grid as correct without undoing the augmentation', () => {
    const ev = evaluator();
    // Identifier 'p1' (no augmentation) but the prediction is rotated: wrong.
    ev.update(
      ...arcBatch([{ id: idOf('p1'), input: A, pred: augment(A_OUT, 1, '0123456789'), q: 0 }]),
    );
    expect(ev.result()['ARC/example_pass@1']).toBe(0);
  });
});

describe('ARC evaluator: voting and pass@k', () => {
  /** `n` copies of a row. */
  const times = (n: number, row: ArcRow): ArcRow[] => Array.from({ length: n }, () => row);

  function voteTable(): ArcEvaluator {
    const ev = evaluator();
    const rows: ArcRow[] = [
      // p1 / A: X 3 votes, the answer 2, Z 1 → the answer ranks 2nd.
      ...times(3, { id: 1, input: A, pred: wrong(1), q: 0 }),
      ...times(2, { id: 1, input: A, pred: A_OUT, q: 0 }),
      { id: 1, input: A, pred: wrong(2), q: 0 },
      // p1 / B: five wrong grids with 2 votes each, the answer 1 vote → ranks 6th.
      { id: 1, input: B, pred: B_OUT, q: 5 },
      ...[10, 11, 12, 13, 14].flatMap((i) => times(2, { id: 1, input: B, pred: wrong(i), q: -5 })),
      // p2 / C: the answer 4 votes, first.
      ...times(4, { id: 2, input: C, pred: C_OUT, q: -3 }),
      { id: 2, input: C, pred: wrong(3), q: 3 },
      // p3 gets no prediction at all.
    ];
    // Spread over several batches, with padding rows that must be ignored.
    ev.begin();
    ev.update(...arcBatch(rows.slice(0, 7), 3));
    ev.update(...arcBatch(rows.slice(7), 1));
    return ev;
  }

  it('turns a known vote table into known pass@k', () => {
    const r = voteTable().result();
    // Per test input, rank of the answer: p1/A 2, p1/B 6, p2/C 1, p3/D none.
    // Puzzle scores at k = 1: p1 0, p2 1, p3 0; k = 2, 5: p1 ½; k ≥ 10: p1 1.
    expect(r).toEqual({
      'ARC/pass@1': 1 / 3,
      'ARC/pass@2': 1.5 / 3,
      'ARC/pass@5': 1.5 / 3,
      'ARC/pass@10': 2 / 3,
      'ARC/pass@100': 2 / 3,
      'ARC/pass@1000': 2 / 3,
      'ARC/example_N': 4,
      'ARC/example_pass@1': 1 / 4,
      'ARC/example_pass@2': 2 / 4,
      'ARC/example_pass@5': 2 / 4,
      'ARC/example_pass@10': 3 / 4,
      'ARC/example_pass@100': 3 / 4,
      'ARC/example_pass@1000': 3 / 4,
    });
  });

  it('breaks vote ties by mean sigmoid(q_halt), not by mean logit', () => {
    const ev = evaluator();
    // Both 2 votes. Mean sigmoid: X (0.3, 0.3) → 0.5744; answer (3, -2) → 0.5359.
    // Mean logit would rank the answer first (0.5 > 0.3); the spec ranks X first.
    ev.update(
      ...arcBatch([
        { id: 2, input: C, pred: C_OUT, q: 3 },
        { id: 2, input: C, pred: wrong(7), q: 0.3 },
        { id: 2, input: C, pred: C_OUT, q: -2 },
        { id: 2, input: C, pred: wrong(7), q: 0.3 },
      ]),
    );
    const r = ev.result();
    expect(r['ARC/example_pass@1']).toBe(0);
    expect(r['ARC/example_pass@2']).toBe(0.25);
    expect(ev.submission!.p2).toEqual([{ attempt_1: wrong(7), attempt_2: C_OUT }]);
  });

  it('ranks by votes before q', () => {
    const ev = evaluator();
    ev.update(
      ...arcBatch([
        { id: 2, input: C, pred: C_OUT, q: 20 },
        { id: 2, input: C, pred: wrong(4), q: -20 },
        { id: 2, input: C, pred: wrong(4), q: -20 },
      ]),
    );
    expect(ev.result()['ARC/example_pass@1']).toBe(0);
  });

  it('honours pass_Ks and submission_K', () => {
    const ev = evaluator({ pass_Ks: [3], submission_K: 3 });
    ev.update(...arcBatch([{ id: 2, input: C, pred: C_OUT, q: 0 }]));
    expect(ev.result()).toEqual({
      'ARC/pass@3': 1 / 3,
      'ARC/example_N': 4,
      'ARC/example_pass@3': 1 / 4,
    });
    expect(ev.submission!.p2).toEqual([{ attempt_1: C_OUT, attempt_2: C_OUT, attempt_3: C_OUT }]);
  });

  it('keeps votes across begin() by default (aggregated voting) and clears them when disabled', () => {
    const row: ArcRow = { id: 2, input: C, pred: C_OUT, q: 0 };
    const agg = evaluator();
    agg.update(...arcBatch([row]));
    agg.begin();
    expect(agg.result()['ARC/example_pass@1']).toBe(0.25);
    const fresh = evaluator({ aggregated_voting: false });
    fresh.update(...arcBatch([row]));
    fresh.begin();
    expect(fresh.result()['ARC/example_pass@1']).toBe(0);
  });
});

describe('ARC evaluator: submission.json', () => {
  it('writes a Kaggle-shaped submission with two attempts per test input', () => {
    const dir = tempDir();
    const ev = evaluator();
    ev.update(
      ...arcBatch([
        ...[0, 1].map(() => ({ id: 1, input: A, pred: wrong(1), q: 0 })),
        { id: 1, input: A, pred: A_OUT, q: 0 },
        { id: 1, input: B, pred: B_OUT, q: 0 },
      ]),
    );
    ev.result(join(dir, 'nested'));
    const sub = JSON.parse(
      readFileSync(join(dir, 'nested', 'submission.json'), 'utf8'),
    ) as ArcSubmission;
    expect(validateSubmission(sub, testPuzzles)).toEqual([]);
    expect(Object.keys(sub)).toEqual(['p1', 'p2', 'p3']);
    expect(sub.p1).toEqual([
      { attempt_1: wrong(1), attempt_2: A_OUT }, // top two by votes
      { attempt_1: B_OUT, attempt_2: B_OUT }, // one candidate: padded with the first
    ]);
    expect(sub.p2).toEqual([{ attempt_1: [[0]], attempt_2: [[0]] }]); // no prediction
    expect(sub.p3).toEqual([{ attempt_1: [[0]], attempt_2: [[0]] }]);
  });

  it('submits [[0]] for an empty crop, which still votes', () => {
    const ev = evaluator();
    ev.update(...arcBatch([{ id: 3, input: D, pred: new Int32Array(900), q: 0 }]));
    expect(ev.result()['ARC/example_pass@1']).toBe(0);
    expect(ev.submission!.p3).toEqual([{ attempt_1: [[0]], attempt_2: [[0]] }]);
    expect(validateSubmission(ev.submission, testPuzzles)).toEqual([]);
  });

  it('validateSubmission finds shape errors', () => {
    expect(validateSubmission([])).toEqual(['submission must be a JSON object keyed by puzzle id']);
    const bad = {
      p1: [{ attempt_1: [[1]] }, { attempt_1: [[1, 2], [3]], attempt_2: [[10]] }],
      p2: { attempt_1: [[1]], attempt_2: [[1]] },
      zz: [{ attempt_1: [], attempt_2: [[1]] }],
    };
    const problems = validateSubmission(bad, testPuzzles);
    expect(problems).toEqual([
      'p1[0]: keys are [attempt_1], expected [attempt_1, attempt_2]',
      'p1[0].attempt_2 is not a non-empty list of rows',
      'p1[1].attempt_1 row 1 has a different length',
      'p1[1].attempt_2 cell (0, 0) is 10, not a colour 0..9',
      'p2: must be a list of attempts objects',
      'zz: not a test puzzle',
      'zz[0].attempt_1 is not a non-empty list of rows',
      'p3: missing',
    ]);
    expect(
      validateSubmission({ p1: [{ attempt_1: [[1]], attempt_2: [[1]] }] }, testPuzzles),
    ).toEqual(['p1: 1 entries for 2 test inputs', 'p2: missing', 'p3: missing']);
  });
});

describe('ARC evaluator: construction', () => {
  it('reads identifiers.json and test_puzzles.json from the dataset directory via the registry', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'identifiers.json'), JSON.stringify(identifiers));
    writeFileSync(join(dir, 'test_puzzles.json'), JSON.stringify(testPuzzles));
    const [ev] = createEvaluators([{ name: 'arc@ARC' }], { datasetDir: dir, metadata });
    ev!.begin();
    ev!.update(
      ...arcBatch([
        {
          id: idOf(variant('p1', 6, PERM)),
          input: augment(B, 6, PERM),
          pred: augment(B_OUT, 6, PERM),
          q: 0,
        },
      ]),
    );
    expect(ev!.result()['ARC/example_pass@1']).toBe(0.25);
  });

  it('rejects a non-ARC sequence length, unknown identifiers and bad options', () => {
    expect(
      () => new ArcEvaluator({ metadata: { ...metadata, seq_len: 81 }, identifiers, testPuzzles }),
    ).toThrow(/seq_len must be 900/);
    const ev = evaluator();
    expect(() => ev.update(...arcBatch([{ id: 99, input: A, pred: A, q: 0 }]))).toThrow(
      /identifier 99/,
    );
    expect(() => evaluator({ submission_K: 0 })).toThrow(/positive integer/);
    expect(() => evaluator({ bogus: 1 })).toThrow(/unknown option 'bogus'/);
    expect(() => new ArcEvaluator({ metadata })).toThrow(/identifiers or context.datasetDir/);
  });

  it('checks batch shapes', () => {
    const ev = evaluator();
    const [batch, outputs] = arcBatch([{ id: 1, input: A, pred: A_OUT, q: 0 }]);
    expect(() => ev.update({ ...batch, batchSize: 2 }, outputs)).toThrow(
      /batch.inputs has 900 values/,
    );
    expect(() => ev.update(batch, { ...outputs, qHaltLogits: new Float32Array(0) })).toThrow(
      /qHaltLogits/,
    );
  });
});
