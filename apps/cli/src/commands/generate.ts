import {
  buildIntoDirectory,
  type GeneratedPuzzle,
  generateMazes,
  generateSudokus,
  writePuzzleCsv,
  writePuzzleCsvSplits,
} from '@trm/datasets';
import type { CliIO, CommandContext } from '../cli/types.js';
import { UsageError } from '../errors.js';
import { createProgress, type Progress } from '../util/progress.js';
import { bool, checkOutputFree, int, plural, resolvePath, str } from './common.js';

/** What `generate` needs, independent of flags (also used by preset dataset recipes). */
export interface GenerateRequest {
  kind: 'sudoku' | 'maze';
  size: number;
  count: number;
  /** Test puzzles; only used when writing a directory. */
  testCount: number;
  hard?: boolean;
  /** Sudoku: minimum rating; Maze: minimum path length. */
  minDifficulty?: number;
  seed: number;
  /** A `.csv` file, or a directory that gets train.csv and test.csv. */
  output: string;
  overwrite?: boolean;
}

function* counted(
  source: Iterator<GeneratedPuzzle>,
  n: number,
  progress: Progress,
  offset: { done: number },
  total: number,
) {
  for (let i = 0; i < n; i++) {
    const next = source.next();
    if (next.done) return;
    yield next.value;
    offset.done++;
    progress.update(offset.done, total);
  }
}

/** Generates puzzles to CSV; returns the written paths. */
export async function generatePuzzles(
  req: GenerateRequest,
  io: CliIO,
): Promise<{ files: string[]; rows: number }> {
  const single = req.output.toLowerCase().endsWith('.csv');
  const total = single ? req.count : req.count + req.testCount;
  const options = { size: req.size, hard: req.hard };
  let source: Iterator<GeneratedPuzzle>;
  if (req.kind === 'sudoku') {
    source = generateSudokus(total, req.seed, {
      size: req.size as 4 | 6 | 9,
      hard: req.hard,
      ...(req.minDifficulty !== undefined ? { minRating: req.minDifficulty } : {}),
    });
  } else {
    source = generateMazes(total, req.seed, {
      ...options,
      ...(req.minDifficulty !== undefined ? { minPathLength: req.minDifficulty } : {}),
    });
  }
  const progress = createProgress(
    io.stderr,
    `generating ${req.kind === 'sudoku' ? `${req.size}x${req.size} Sudokus` : `${req.size}x${req.size} mazes`}`,
  );
  const state = { done: 0 };
  try {
    if (single) {
      checkOutputFree(req.output, req.overwrite === true, 'output file');
      writePuzzleCsv(req.output, counted(source, req.count, progress, state, total));
      progress.finish();
      return { files: [req.output], rows: state.done };
    }
    checkOutputFree(req.output, req.overwrite === true, 'output directory');
    const paths = await buildIntoDirectory(
      req.output,
      { overwrite: req.overwrite === true, kind: 'csv-splits' },
      (tmp) => {
        writePuzzleCsvSplits(
          tmp,
          counted(source, req.count, progress, state, total),
          counted(source, req.testCount, progress, state, total),
        );
        return [`${req.output}/train.csv`, `${req.output}/test.csv`];
      },
    );
    progress.finish();
    return { files: paths, rows: state.done };
  } catch (e) {
    progress.stop();
    // The generators give up when the difficulty filter rejects every candidate.
    const giveUp = /no \d+×\d+ .* in \d+ attempts/.exec((e as Error).message ?? '');
    if (giveUp) {
      throw new UsageError(
        `${giveUp[0]}. Lower the difficulty (${req.kind === 'sudoku' ? '--min-rating' : '--min-path-length'}) or drop --hard.`,
        {
          command: `generate ${req.kind}`,
        },
      );
    }
    throw e;
  }
}

/** `trm generate sudoku|maze`. */
export async function generateCommand(
  kind: 'sudoku' | 'maze',
  ctx: CommandContext,
): Promise<number> {
  const size = int(ctx, 'size', kind === 'maze' ? 5 : undefined)!;
  const req: GenerateRequest = {
    kind,
    size,
    count: int(ctx, 'count', 1)!,
    testCount: int(ctx, 'test-count', 0)!,
    hard: bool(ctx, 'hard'),
    seed: int(ctx, 'seed')!,
    output: resolvePath(ctx.io, str(ctx, 'output')!),
    overwrite: bool(ctx, 'overwrite'),
  };
  const min = int(ctx, kind === 'sudoku' ? 'min-rating' : 'min-path-length', 0);
  if (min !== undefined) req.minDifficulty = min;
  const { files, rows } = await generatePuzzles(req, ctx.io);
  ctx.io.stdout.write(
    `Wrote ${plural(rows, kind === 'sudoku' ? 'puzzle' : 'maze')} to ${files.join(' and ')}\n`,
  );
  return 0;
}
