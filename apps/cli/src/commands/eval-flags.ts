/**
 * `trm eval`, the command-line side: the flags become checked {@link EvalOptions} and a
 * config resolver (nothing is evaluated here). ./run-eval.ts runs it.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CommandContext, CommandHandler } from '../cli/types.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { InputError } from '../errors.js';
import type { PuzzleIdMode } from '../train/puzzle-ids.js';
import { checkOutputDir } from '../util/output-dir.js';
import { resolveCheckpointArg } from './checkpoint-arg.js';
import { checkpointConfig } from './checkpoint-config.js';
import { bool, int, requireDir, requireFile, resolvePath, str } from './common.js';

/** Parsed `trm eval` options. */
export interface EvalOptions {
  /** Local path (absolute) or hub file id `owner/repo/filename`. */
  checkpoint: string;
  /** True when {@link checkpoint} is a hub id rather than a local path. */
  checkpointIsHub: boolean;
  /** Dataset directory (absolute). */
  dataset: string;
  /** Output directory (absolute): --outdir, or `eval_<checkpoint name>` beside the checkpoint. */
  outdir: string;
  /** --overwrite: write into a non-empty outdir, replacing only trm's files. */
  overwrite: boolean;
  evalSaveOutputs: string[];
  globalBatchSize: number | undefined;
  applyEma: boolean;
  emaShadow: string | undefined;
  oneBatch: boolean;
  /** --act-inference: halt each row by its Q head and score it at that step. */
  actInference: boolean;
  /** --per-step: also score every supervision step as if every row stopped there. */
  perStep: boolean;
  /** --puzzle-ids: the identifiers the model sees (`real` leaves them alone). */
  puzzleIds: PuzzleIdMode;
  /** --json: print the metrics report as JSON on stdout instead of the table. */
  json: boolean;
  configDir: string | undefined;
  preset: string | undefined;
  /** `key=value` overrides, in order. */
  overrides: string[];
}

/** What the real evaluation handler ({@link import('./run-eval.js').runEval}) receives. */
export interface EvalContext extends CommandContext {
  options: EvalOptions;
  /**
   * Resolves the config to evaluate with: `configFile` (e.g. the checkpoint's
   * all_config.yaml) plus the overrides when given and present, else the config files,
   * preset and overrides.
   */
  resolveConfig(configFile?: string): ResolvedConfig;
}

/** The function that actually evaluates (default: `runEval` of ./run-eval.ts, loaded lazily). */
export type EvalRunner = (ctx: EvalContext) => Promise<number | undefined> | number | undefined;

/**
 * The `trm eval` handler around an {@link EvalRunner}: parses and checks the flags (the
 * checkpoint exists locally or looks like a hub id, the dataset has test/dataset.json),
 * then calls the runner. Register a custom runner with
 * `runCli(argv, { handlers: { eval: createEvalCommand(myRunner) } })`.
 */
export function createEvalCommand(runner?: EvalRunner): CommandHandler {
  return (ctx) =>
    evalFrame(ctx, runner ?? (async (c) => (await import('./run-eval.js')).runEval(c)));
}

/** The default `trm eval` handler (runs ./run-eval.ts). */
export const evalCommand: CommandHandler = createEvalCommand();

/** Files `trm eval` writes into --outdir (the only ones --overwrite replaces). */
export const EVAL_OUTPUT_FILES =
  'metrics.json, <key>.npy for --eval-save-outputs, per_step.svg, submission.json';

async function evalFrame(ctx: CommandContext, runner: EvalRunner): Promise<number | undefined> {
  const { io } = ctx;
  const ckptArg = resolveCheckpointArg(str(ctx, 'checkpoint')!, io, '--checkpoint');
  const checkpointIsHub = ckptArg.kind === 'hub';
  const checkpoint = ckptArg.kind === 'hub' ? ckptArg.id : ckptArg.path;
  const datasetFlag = str(ctx, 'dataset')!;
  const dataset = resolvePath(io, datasetFlag);
  requireDir(dataset, '--dataset');
  if (!existsSync(join(dataset, 'test', 'dataset.json'))) {
    throw new InputError(
      `Dataset ${datasetFlag} has no test split (no ${join(datasetFlag, 'test', 'dataset.json')}). Build it with trm build-dataset.`,
      { file: dataset },
    );
  }
  const emaShadowFlag = str(ctx, 'ema-shadow');
  const emaShadow = emaShadowFlag === undefined ? undefined : resolvePath(io, emaShadowFlag);
  if (emaShadow !== undefined) requireFile(emaShadow, '--ema-shadow');
  const outdirFlag = str(ctx, 'outdir');
  // Beside a local checkpoint by default; a hub file lives in the cache, so then the cwd.
  const outdir =
    outdirFlag !== undefined
      ? resolvePath(io, outdirFlag)
      : join(
          checkpointIsHub ? io.cwd : dirname(checkpoint),
          `eval_${basename(checkpoint).replace(/\.(safetensors|pt|pth|bin)$/, '')}`,
        );
  const overwrite = bool(ctx, 'overwrite');
  checkOutputDir(outdir, {
    overwrite,
    label: outdirFlag === undefined ? 'The evaluation output directory' : '--outdir',
    writes: EVAL_OUTPUT_FILES,
  });
  const options: EvalOptions = {
    checkpoint,
    checkpointIsHub,
    dataset,
    outdir,
    overwrite,
    evalSaveOutputs: (ctx.flags['eval-save-outputs'] as string[] | undefined) ?? [],
    globalBatchSize: int(ctx, 'global-batch-size', 1),
    applyEma: bool(ctx, 'apply-ema'),
    emaShadow,
    oneBatch: bool(ctx, 'one-batch'),
    actInference: bool(ctx, 'act-inference'),
    perStep: bool(ctx, 'per-step'),
    // The parser has checked the value against the flag's choices.
    puzzleIds: (str(ctx, 'puzzle-ids') ?? 'real') as PuzzleIdMode,
    json: bool(ctx, 'json'),
    configDir: str(ctx, 'config-dir'),
    preset: str(ctx, 'preset'),
    overrides: [...ctx.overrides],
  };
  const resolveConfig = (configFile?: string): ResolvedConfig =>
    checkpointConfig(io, configFile, options);
  return runner({ ...ctx, options, resolveConfig });
}
