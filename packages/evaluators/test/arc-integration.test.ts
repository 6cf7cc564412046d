import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildArcDataset, readMetadata, readNpy } from '@trm/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvaluator, type EvalBatch, type Grid, validateSubmission } from '../src/index.js';

// A dataset built by @trm/datasets' ARC builder: the evaluator must undo its augmentations.
const challenges = {
  aaaa0001: {
    train: [
      { input: [[1, 2]], output: [[2, 1]] },
      { input: [[3, 0, 4]], output: [[4, 0, 3]] },
    ],
    test: [{ input: [[5, 6, 7]] }, { input: [[8], [9]] }],
  },
  bbbb0002: {
    train: [
      {
        input: [
          [1, 1],
          [0, 2],
        ],
        output: [
          [2, 0],
          [1, 1],
        ],
      },
    ],
    test: [
      {
        input: [
          [3, 0, 0],
          [0, 4, 0],
        ],
      },
    ],
  },
};
const solutions: Record<string, Grid[]> = {
  aaaa0001: [[[7, 6, 5]], [[8], [9]]],
  bbbb0002: [
    [
      [0, 4, 0],
      [3, 0, 0],
    ],
  ],
};

let root: string;
let dataDir: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'trm-evaluators-arc-'));
  writeFileSync(join(root, 'arc_evaluation_challenges.json'), JSON.stringify(challenges));
  writeFileSync(join(root, 'arc_evaluation_solutions.json'), JSON.stringify(solutions));
  dataDir = join(root, 'data');
  await buildArcDataset({
    inputFilePrefix: join(root, 'arc'),
    outputDir: dataDir,
    subsets: ['evaluation'],
    testSetName: 'evaluation',
    numAug: 24,
    seed: 7,
  });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The test split as one batch; `pred` chooses each row's prediction tokens. */
function testSplit(
  pred: 'labels' | 'inputs',
): [EvalBatch, { preds: Int32Array; qHaltLogits: Float32Array }] {
  const split = join(dataDir, 'test');
  const inputs = Int32Array.from(readNpy(join(split, 'all__inputs.npy')).data as ArrayLike<number>);
  const labels = Int32Array.from(readNpy(join(split, 'all__labels.npy')).data as ArrayLike<number>);
  const ids = readNpy(join(split, 'all__puzzle_identifiers.npy')).data as ArrayLike<number>;
  const offsets = readNpy(join(split, 'all__puzzle_indices.npy')).data as ArrayLike<number>;
  const rows = inputs.length / 900;
  const puzzleIdentifiers = new Int32Array(rows);
  for (let p = 0; p < ids.length; p++) {
    for (let e = Number(offsets[p]); e < Number(offsets[p + 1]); e++)
      puzzleIdentifiers[e] = Number(ids[p]);
  }
  const preds = pred === 'labels' ? labels.slice() : inputs.slice();
  return [
    { inputs, labels, puzzleIdentifiers, batchSize: rows, seqLen: 900 },
    { preds, qHaltLogits: new Float32Array(rows) },
  ];
}

describe('ARC evaluator on a dataset built by @trm/datasets', () => {
  it('scores the labels of every augmented variant as the true outputs', () => {
    const metadata = readMetadata(join(dataDir, 'test', 'dataset.json'));
    const ev = createEvaluator('arc@ARC', { datasetDir: dataDir, metadata });
    const [batch, outputs] = testSplit('labels');
    // 2 puzzles × (1 + 24 variants) with 2 + 1 test pairs.
    expect(batch.batchSize).toBe(25 * 3);
    ev.begin();
    ev.update(batch, outputs);
    const dir = join(root, 'out');
    const r = ev.result(dir);
    expect(r['ARC/pass@1']).toBe(1);
    expect(r['ARC/example_pass@1']).toBe(1);
    expect(r['ARC/example_N']).toBe(3);
    const sub = (ev as unknown as { submission: Record<string, unknown> }).submission;
    expect(sub).toEqual({
      aaaa0001: solutions.aaaa0001!.map((g) => ({ attempt_1: g, attempt_2: g })),
      bbbb0002: solutions.bbbb0002!.map((g) => ({ attempt_1: g, attempt_2: g })),
    });
    expect(validateSubmission(sub)).toEqual([]);
  });

  it('scores the inputs as wrong answers', () => {
    const metadata = readMetadata(join(dataDir, 'test', 'dataset.json'));
    const ev = createEvaluator('arc', { datasetDir: dataDir, metadata });
    ev.update(...testSplit('inputs'));
    const r = ev.result();
    // Only aaaa0001's second test input equals its own output.
    expect(r['ARC/example_pass@1']).toBe(1 / 3);
    expect(r['ARC/pass@1']).toBe(0.25);
  });
});
