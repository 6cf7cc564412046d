import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildMazeDataset, buildSudokuDataset } from '@trm/datasets';
import type { CliIO } from '../cli/types.js';
import type { DatasetRecipe } from '../config/resolve.js';
import { StagedOutput } from '../util/output-dir.js';
import { createProgress, type Progress } from '../util/progress.js';
import { generatePuzzles } from './generate.js';

/**
 * Makes the dataset a preset's `_dataset_` recipe describes at `outputDir`, unless it exists:
 * generates the CSVs into a temporary directory, builds the dataset (atomically) and removes
 * the CSVs. Returns true when it built something.
 */
export async function prepareDataset(
  recipe: DatasetRecipe,
  outputDir: string,
  io: CliIO,
): Promise<boolean> {
  if (existsSync(outputDir)) return false;
  io.stderr.write(
    `Preparing ${outputDir}: ${recipe.count} + ${recipe.test_count} generated ${recipe.size}x${recipe.size} ${recipe.kind === 'sudoku' ? 'Sudokus' : 'mazes'}\n`,
  );
  // The CSVs are scratch: staged beside the dataset (a killed run's leftovers are removed
  // by the next one) and never published.
  const scratch = new StagedOutput(`${outputDir}.csv`);
  const csvDir = join(scratch.dir, 'csv');
  try {
    await generatePuzzles(
      {
        kind: recipe.kind,
        size: recipe.size,
        count: recipe.count,
        testCount: recipe.test_count,
        hard: recipe.hard === true,
        seed: recipe.seed ?? 0,
        output: csvDir,
      },
      io,
    );
    const bars = new Map<string, Progress>();
    const onProgress = (p: { split: string; done: number; total: number | undefined }) => {
      let b = bars.get(p.split);
      if (!b) {
        b = createProgress(io.stderr, `writing ${p.split}`);
        bars.set(p.split, b);
      }
      b.update(p.done, p.total);
      if (p.total !== undefined && p.done >= p.total) b.finish();
    };
    if (recipe.kind === 'sudoku') {
      await buildSudokuDataset({
        source: csvDir,
        outputDir,
        numAug: recipe.num_aug ?? 0,
        seed: recipe.seed ?? 0,
        onProgress,
      });
    } else {
      await buildMazeDataset({
        source: csvDir,
        outputDir,
        aug: recipe.aug === true,
        seed: recipe.seed ?? 0,
        onProgress,
      });
    }
    for (const b of bars.values()) b.stop();
  } finally {
    scratch.abort();
  }
  return true;
}
