/**
 * `trm adapt`, the command-line side: the flags become checked {@link AdaptOptions} (nothing
 * is read beyond the paths' existence here). ./run-adapt.ts runs it.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CommandContext, CommandHandler } from '../cli/types.js';
import { overrideKey } from '../config/overrides.js';
import { InputError, UsageError } from '../errors.js';
import { checkOutputDir } from '../util/output-dir.js';
import { resolveCheckpointArg } from './checkpoint-arg.js';
import { bool, int, requireDir, resolvePath, str } from './common.js';

/** Parsed `trm adapt` options. */
export interface AdaptOptions {
  /** Local path (absolute) or hub file id `owner/repo/filename`. */
  checkpoint: string;
  checkpointIsHub: boolean;
  /** The new dataset (absolute), with train/ and test/. */
  dataset: string;
  /** The dataset as the user wrote it, for messages. */
  datasetArg: string;
  /** Output directory (absolute): --outdir, or `adapt_<dataset name>` beside the checkpoint. */
  outdir: string;
  overwrite: boolean;
  /** Sign-SGD steps on the appended puzzle rows alone. */
  steps: number;
  /** AdamATan2 steps on the whole model afterwards. */
  wholeModelSteps: number;
  /** Learning rate of the appended rows (default: the checkpoint config's puzzle_emb_lr). */
  lr: number | undefined;
  configDir: string | undefined;
  preset: string | undefined;
  /** `key=value` overrides on top of the checkpoint's config, in order. */
  overrides: string[];
}

/** Files `trm adapt` writes into its output directory (the only ones --overwrite replaces). */
export const ADAPT_OUTPUT_FILES =
  'adapt_dataset/, adapt.json, step_<N>.safetensors, step_<N>.state.safetensors, all_config.yaml, metrics.jsonl, charts/';

/**
 * Config keys `trm adapt` sets itself, with what to use instead: an override of one of them
 * would be silently replaced, so it is refused.
 */
const SET_BY_ADAPT: ReadonlyMap<string, string> = new Map([
  ['data_paths', 'give the new dataset with --dataset'],
  ['data_paths_test', 'evaluation reads the test split of --dataset'],
  ['checkpoint_path', 'give the output directory with --outdir'],
  ['load_checkpoint', 'give the checkpoint with --checkpoint'],
  ['puzzle_emb_lr', 'set the learning rate of the new rows with --lr'],
  ['freeze_weights', 'the rows train alone for --steps, the whole model for --whole-model-steps'],
  ['epochs', 'count the steps with --steps and --whole-model-steps'],
  ['eval_interval', 'trm adapt evaluates before and after each phase'],
  ['min_eval_interval', 'trm adapt evaluates before and after each phase'],
  ['checkpoint_every_eval', 'trm adapt saves a checkpoint after each phase'],
  ['checkpoint_keep_best', 'trm adapt saves a checkpoint after each phase'],
  ['early_stop_patience', 'trm adapt runs the steps it is given'],
  ['ema', 'adaptation runs without an EMA (a few steps; the EMA would lag behind them)'],
  ['lr_warmup_steps', 'both phases run at a constant learning rate'],
  ['lr_min_ratio', 'both phases run at a constant learning rate'],
]);

/** The `trm adapt` handler: checks the flags and paths, then runs ./run-adapt.ts. */
export const adaptCommand: CommandHandler = async (ctx) =>
  (await import('./run-adapt.js')).runAdapt({ ...ctx, options: adaptOptions(ctx) });

function adaptOptions(ctx: CommandContext): AdaptOptions {
  const { io } = ctx;
  for (const o of ctx.overrides) {
    const how = SET_BY_ADAPT.get(overrideKey(o));
    if (how !== undefined)
      throw new UsageError(
        `${o}: trm adapt sets ${overrideKey(o)} itself (${how}). Drop the override.`,
        { command: 'adapt' },
      );
  }
  const steps = int(ctx, 'steps', 0)!;
  const wholeModelSteps = int(ctx, 'whole-model-steps', 0)!;
  if (steps === 0 && wholeModelSteps === 0)
    throw new UsageError(
      '--steps 0 and --whole-model-steps 0 leave nothing to adapt: give the steps on the new puzzle rows (--steps N) and/or on the whole model (--whole-model-steps M).',
      { command: 'adapt' },
    );
  const lr = ctx.flags.lr as number | undefined;
  if (lr !== undefined && !(Number.isFinite(lr) && lr > 0))
    throw new UsageError(`--lr must be a positive learning rate such as 0.01, got ${lr}.`, {
      command: 'adapt',
    });
  const ckptArg = resolveCheckpointArg(str(ctx, 'checkpoint')!, io, '--checkpoint');
  const checkpoint = ckptArg.kind === 'hub' ? ckptArg.id : ckptArg.path;
  const datasetArg = str(ctx, 'dataset')!;
  const dataset = resolvePath(io, datasetArg);
  requireDir(dataset, '--dataset');
  for (const split of ['train', 'test']) {
    if (!existsSync(join(dataset, split, 'dataset.json')))
      throw new InputError(
        `--dataset ${datasetArg} has no ${split} split (no ${join(datasetArg, split, 'dataset.json')}): trm adapt trains the new puzzles' rows on the train split and evaluates on the test split. Build the dataset with trm build-dataset.`,
        { file: dataset },
      );
  }
  const outdirFlag = str(ctx, 'outdir');
  const outdir =
    outdirFlag !== undefined
      ? resolvePath(io, outdirFlag)
      : join(ckptArg.kind === 'hub' ? io.cwd : dirname(checkpoint), `adapt_${basename(dataset)}`);
  const overwrite = bool(ctx, 'overwrite');
  checkOutputDir(outdir, {
    overwrite,
    label: outdirFlag === undefined ? 'The adaptation output directory' : '--outdir',
    writes: ADAPT_OUTPUT_FILES,
  });
  return {
    checkpoint,
    checkpointIsHub: ckptArg.kind === 'hub',
    dataset,
    datasetArg,
    outdir,
    overwrite,
    steps,
    wholeModelSteps,
    lr,
    configDir: str(ctx, 'config-dir'),
    preset: str(ctx, 'preset'),
    overrides: [...ctx.overrides],
  };
}
