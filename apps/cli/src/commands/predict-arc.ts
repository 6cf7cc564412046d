/**
 * `trm predict arc`, the command-line side: the flags, the output path and the challenges
 * file are checked here before anything is loaded or written; ./run-predict-arc.ts runs the
 * model and writes the submission.
 */
import { existsSync, statSync } from 'node:fs';
import { type ArcPuzzleSet, DatasetError, readArcChallenges } from '@trm/datasets';
import type { CommandContext } from '../cli/types.js';
import { InputError, UsageError } from '../errors.js';
import { bool, checkOutputFree, int, requireDir, requireFile, resolvePath, str } from './common.js';

/** Parsed and checked `trm predict arc` options. */
export interface PredictArcOptions {
  /** The --checkpoint argument as given (a file, a run directory or a hub file id). */
  checkpoint: string;
  /** The challenges file (absolute). */
  challengesFile: string;
  /** Its puzzles, validated. */
  puzzles: ArcPuzzleSet;
  /** The submission file to write (absolute). */
  out: string;
  /** --dataset (absolute): where identifiers.json is; else the checkpoint config's data_paths. */
  dataset: string | undefined;
  /** --blank-ids: predict every puzzle with the blank identifier and drawn augmentations. */
  blankIds: boolean;
  numAug: number | undefined;
  seed: number;
  globalBatchSize: number | undefined;
  /** `key=value` overrides of the checkpoint's config. */
  overrides: string[];
}

/** What a challenges file must look like, for error messages. */
export const CHALLENGES_FORMAT =
  'An ARC-AGI challenges file is a JSON object {puzzle_id: {train: [{input, output}, …], test: [{input}, …]}} whose grids have 1–30 rows of 1–30 colours 0–9, as in arc-agi_evaluation_challenges.json.';

/**
 * Reads and validates a challenges file; every problem is an {@link InputError} (exit 2) that
 * names the file, the puzzle and the pair, and says what a valid file looks like.
 */
export function readChallenges(path: string, label: string): ArcPuzzleSet {
  requireFile(path, label);
  let puzzles: ArcPuzzleSet;
  try {
    puzzles = readArcChallenges(path);
  } catch (error) {
    if (!(error instanceof DatasetError)) throw error;
    throw new InputError(`${label}: ${error.message}. ${CHALLENGES_FORMAT}`, {
      file: path,
      cause: error,
    });
  }
  if (Object.keys(puzzles).length === 0)
    throw new InputError(`${label}: ${path} holds no puzzles. ${CHALLENGES_FORMAT}`, {
      file: path,
    });
  return puzzles;
}

/** `trm predict arc`: checks everything it can without the model, then runs it. */
export async function predictArcCommand(ctx: CommandContext): Promise<number | undefined> {
  const { io } = ctx;
  const outArg = str(ctx, 'out')!;
  const out = resolvePath(io, outArg);
  if (existsSync(out) && statSync(out).isDirectory())
    throw new InputError(
      `--out ${outArg} is a directory: give the path of the JSON file to write, such as ${outArg.replace(/\/+$/, '')}/submission.json.`,
      { file: out },
    );
  checkOutputFree(out, bool(ctx, 'overwrite'), '--out file');
  const challengesFile = resolvePath(io, str(ctx, 'challenges')!);
  if (challengesFile === out)
    throw new InputError(
      `--out ${outArg} is the challenges file: write the submission to another file.`,
      { file: out },
    );
  const puzzles = readChallenges(challengesFile, '--challenges');
  const datasetArg = str(ctx, 'dataset');
  const dataset = datasetArg === undefined ? undefined : resolvePath(io, datasetArg);
  if (dataset !== undefined) requireDir(dataset, '--dataset');
  const options: PredictArcOptions = {
    checkpoint: str(ctx, 'checkpoint')!,
    challengesFile,
    puzzles,
    out,
    dataset,
    blankIds: bool(ctx, 'blank-ids'),
    numAug: int(ctx, 'num-aug', 0),
    seed: int(ctx, 'seed') ?? 42,
    globalBatchSize: int(ctx, 'global-batch-size', 1),
    overrides: [...ctx.overrides],
  };
  if (options.blankIds && dataset !== undefined)
    throw new UsageError(
      '--blank-ids ignores the trained identifiers that --dataset is for: give one or the other.',
      { command: 'predict arc' },
    );
  const { runPredictArc } = await import('./run-predict-arc.js');
  return runPredictArc(options, io);
}
