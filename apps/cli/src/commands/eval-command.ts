import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandContext, CommandHandler } from '../cli/types.js';
import { loadTrainConfigFile, type ResolvedConfig, resolveTrainConfig } from '../config/resolve.js';
import { InputError } from '../errors.js';
import { bool, int, resolvePath, str } from './common.js';

/** Parsed `trm eval` options. */
export interface EvalOptions {
  /** Local path (absolute) or hub file id `owner/repo/filename`. */
  checkpoint: string;
  /** True when {@link checkpoint} is a hub id rather than a local path. */
  checkpointIsHub: boolean;
  /** Dataset directory (absolute). */
  dataset: string;
  /** Output directory (absolute), when given. */
  outdir: string | undefined;
  evalSaveOutputs: string[];
  globalBatchSize: number | undefined;
  applyEma: boolean;
  emaShadow: string | undefined;
  oneBatch: boolean;
  configDir: string | undefined;
  preset: string | undefined;
  /** `key=value` overrides, in order. */
  overrides: string[];
}

/** What the real evaluation handler ({@link import('./eval.js').runEval}) receives. */
export interface EvalContext extends CommandContext {
  options: EvalOptions;
  /**
   * Resolves the config to evaluate with: `configFile` (e.g. the checkpoint's
   * all_config.yaml) plus the overrides when given and present, else the config files,
   * preset and overrides.
   */
  resolveConfig(configFile?: string): ResolvedConfig;
}

const HUB_FILE_RE = /^[A-Za-z0-9][\w.-]*\/[\w.-]+\/.+$/;

/** The function that actually evaluates (default: `runEval` of ./eval.ts, loaded lazily). */
export type EvalRunner = (ctx: EvalContext) => Promise<number | undefined> | number | undefined;

/**
 * The `trm eval` handler around an {@link EvalRunner}: parses and checks the flags (the
 * checkpoint exists locally or looks like a hub id, the dataset has test/dataset.json),
 * then calls the runner. Register a custom runner with
 * `runCli(argv, { handlers: { eval: createEvalCommand(myRunner) } })`.
 */
export function createEvalCommand(runner?: EvalRunner): CommandHandler {
  return (ctx) => evalFrame(ctx, runner ?? (async (c) => (await import('./eval.js')).runEval(c)));
}

/** The default `trm eval` handler (runs ./eval.ts). */
export const evalCommand: CommandHandler = createEvalCommand();

async function evalFrame(ctx: CommandContext, runner: EvalRunner): Promise<number | undefined> {
  const { io } = ctx;
  const ckpt = str(ctx, 'checkpoint')!;
  const local = resolvePath(io, ckpt);
  let checkpointIsHub = false;
  if (!existsSync(local)) {
    const firstDir = ckpt.split('/')[0]!;
    if (
      HUB_FILE_RE.test(ckpt) &&
      !existsSync(resolvePath(io, firstDir)) &&
      !ckpt.startsWith('.') &&
      !ckpt.startsWith('/')
    ) {
      checkpointIsHub = true;
    } else {
      throw new InputError(
        `Checkpoint ${ckpt} not found (neither a local file nor a hub id owner/repo/filename).`,
        { file: local },
      );
    }
  }
  const dataset = resolvePath(io, str(ctx, 'dataset')!);
  if (!existsSync(join(dataset, 'test', 'dataset.json'))) {
    throw new InputError(
      `Dataset ${str(ctx, 'dataset')} not found or incomplete (no test/dataset.json). Build it with trm build-dataset.`,
      { file: dataset },
    );
  }
  const emaShadowFlag = str(ctx, 'ema-shadow');
  const emaShadow = emaShadowFlag === undefined ? undefined : resolvePath(io, emaShadowFlag);
  if (emaShadow !== undefined && !existsSync(emaShadow))
    throw new InputError(`--ema-shadow ${emaShadowFlag} does not exist.`, { file: emaShadow });
  const outdirFlag = str(ctx, 'outdir');
  const options: EvalOptions = {
    checkpoint: checkpointIsHub ? ckpt : local,
    checkpointIsHub,
    dataset,
    outdir: outdirFlag === undefined ? undefined : resolvePath(io, outdirFlag),
    evalSaveOutputs: (ctx.flags['eval-save-outputs'] as string[] | undefined) ?? [],
    globalBatchSize: int(ctx, 'global-batch-size', 1),
    applyEma: bool(ctx, 'apply-ema'),
    emaShadow,
    oneBatch: bool(ctx, 'one-batch'),
    configDir: str(ctx, 'config-dir'),
    preset: str(ctx, 'preset'),
    overrides: [...ctx.overrides],
  };
  const resolveConfig = (configFile?: string): ResolvedConfig =>
    configFile !== undefined && existsSync(configFile)
      ? loadTrainConfigFile(configFile, options.overrides, io.env)
      : resolveTrainConfig(options.overrides, {
          preset: options.preset,
          configDir: options.configDir,
          cwd: io.cwd,
          env: io.env,
        });
  return runner({ ...ctx, options, resolveConfig });
}
