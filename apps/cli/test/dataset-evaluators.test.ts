import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Evaluator, registerEvaluator } from '@trm/evaluators';
import { describe, expect, it } from 'vitest';
import { createDatasetEvaluators, watchesSet } from '../src/train/dataset-evaluators.js';
import { tempDir } from './helpers.js';

// An evaluator that counts the rows it is given and writes a file where it is told.
registerEvaluator(
  'rowcount',
  (context): Evaluator => {
    let rows = 0;
    return {
      name: 'rowcount',
      requiredOutputs: [],
      begin() {},
      update(batch) {
        rows += batch.batchSize;
      },
      result: () => ({ 'Rows/N': rows, [`Rows/from_${context.datasetDir!.length}`]: 1 }),
    };
  },
  { datasetFiles: ['rows.json'] },
);

const metadata = { seq_len: 900, blank_identifier_id: 0, sets: ['all'] };
const batch = {
  inputs: new Int32Array(900),
  labels: new Int32Array(900),
  puzzleIdentifiers: new Int32Array(1),
  batchSize: 1,
  seqLen: 900,
};
const outputs = { preds: new Int32Array(900), qHaltLogits: new Float32Array(1) };

describe('createDatasetEvaluators', () => {
  it('makes every entry for every dataset; the later ones see only their sets, under suffixed names', () => {
    const dirs = [tempDir(), tempDir(), tempDir()];
    for (const d of dirs) writeFileSync(join(d, 'rows.json'), '{}');
    const evaluators = createDatasetEvaluators([{ name: 'rowcount' }], {
      datasetDirs: dirs,
      metadata,
    });
    expect(evaluators.map((e) => e.name)).toEqual(['rowcount', 'rowcount1', 'rowcount2']);
    expect(evaluators.map((e) => e.sets)).toEqual([['all'], ['all1'], ['all2']]);
    // What evaluateModel does for batches of set all1 (2 rows) and all (1 row).
    for (const [set, rows] of [
      ['all1', 2],
      ['all', 1],
    ] as const)
      for (let r = 0; r < rows; r++)
        for (const ev of evaluators) if (watchesSet(ev, set)) ev.update(batch, outputs);
    const results = evaluators.map((e) => e.result());
    expect(results[0]).toEqual({ 'Rows/N': 1, [`Rows/from_${dirs[0]!.length}`]: 1 });
    expect(results[1]).toEqual({ 'Rows1/N': 2, [`Rows1/from_${dirs[1]!.length}`]: 1 });
    expect(results[2]).toEqual({ 'Rows2/N': 0, [`Rows2/from_${dirs[2]!.length}`]: 1 });
  });

  it('with one dataset, leaves the evaluators as they are', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'rows.json'), '{}');
    const [ev] = createDatasetEvaluators(['rowcount'], { datasetDirs: [dir], metadata });
    expect(ev!.name).toBe('rowcount');
    expect(ev!.sets).toBeUndefined();
    expect(watchesSet(ev!, 'all7')).toBe(true);
  });

  it('leaves out, with a one-line note each, an evaluator whose dataset lacks its files', () => {
    const [sudoku, arcLike] = [tempDir(), tempDir()];
    writeFileSync(join(arcLike, 'rows.json'), '{}');
    const notes: string[] = [];
    const evaluators = createDatasetEvaluators([{ name: 'arc@ARC' }, { name: 'rowcount' }], {
      datasetDirs: [sudoku, arcLike],
      metadata,
      note: (line) => notes.push(line),
    });
    expect(evaluators.map((e) => e.name)).toEqual(['rowcount1']);
    expect(notes).toEqual([
      `evaluator arc@ARC skipped for ${sudoku}: it has no test_puzzles.json (not a dataset this evaluator applies to)`,
      `evaluator arc@ARC skipped for ${arcLike}: it has no test_puzzles.json (not a dataset this evaluator applies to)`,
      `evaluator rowcount skipped for ${sudoku}: it has no rows.json (not a dataset this evaluator applies to)`,
    ]);
  });

  it('still refuses an unknown evaluator', () => {
    expect(() =>
      createDatasetEvaluators([{ name: 'chess' }], { datasetDirs: [tempDir()], metadata }),
    ).toThrow(/unknown evaluator 'chess'/);
  });
});
