import { join } from 'node:path';
import { PuzzleDataset, readMetadata } from '@trm/datasets';
import { describe, expect, it } from 'vitest';
import { plannedSteps } from '../src/train/schedule.js';
import { buildSudoku4, tempDir } from './helpers.js';

describe('the step count a run announces', () => {
  it('is the number of batches the loader yields', async () => {
    const work = tempDir();
    const data = await buildSudoku4(work, { count: 37, testCount: 4, seed: 1, env: {} });
    const meta = readMetadata(join(data, 'train', 'dataset.json'));
    for (const [gbs, perIter, iterations] of [
      [8, 1, 3],
      [8, 3, 2],
      [5, 2, 2],
    ] as const) {
      const ds = new PuzzleDataset({
        datasetPaths: [data],
        split: 'train',
        globalBatchSize: gbs,
        epochsPerIter: perIter,
      });
      let batches = 0;
      for (let it = 0; it < iterations; it++) for (const _ of ds.iterTrain()) batches++;
      expect(plannedSteps(meta, iterations, perIter, gbs), `batch ${gbs}`).toBe(batches);
    }
  });
});
