/**
 * `trm train`, the command-line side: the flags, config files, preset and overrides become a
 * checked {@link TrainContext} (nothing is trained here). ./run-train.ts runs it.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandContext, CommandHandler } from '../cli/types.js';
import { type ConfigSources, loadTrainConfigFile, resolveTrainConfig } from '../config/resolve.js';
import type { TrainConfig } from '../config/schema.js';
import { ignoredArchKeyNotes } from '../config/validate.js';
import { toYaml } from '../config/yaml.js';
import { InputError } from '../errors.js';
import { withRunNames } from '../train/names.js';
import { listCheckpoints } from '../train/run-dir.js';
import { checkOutputDir } from '../util/output-dir.js';
import { resolveCheckpointArg } from './checkpoint-arg.js';
import { bool, requireDir, resolvePath, str } from './common.js';
import { parseSeeds, SEED_SUMMARY_JSON, SEED_SUMMARY_MD } from './seeds.js';

/** What the real training handler ({@link import('./run-train.js').runTrain}) receives. */
export interface TrainContext extends CommandContext {
  /** Resolved, validated config (interpolations done). Paths are as written (relative to io.cwd). */
  config: TrainConfig;
  sources: ConfigSources;
  /** `--resume DIR` (absolute), when given. */
  resume: string | undefined;
  /** The run directory (absolute): `--resume DIR` or `checkpoint_path`, already checked. */
  runDir: string;
  /** `--overwrite`: the previous run's files in {@link runDir} are replaced. */
  overwrite: boolean;
}

/** The function that actually trains (default: `runTrain` of ./run-train.ts, loaded lazily). */
export type TrainRunner = (ctx: TrainContext) => Promise<number | undefined> | number | undefined;

/**
 * The `trm train` handler around a {@link TrainRunner}: resolves the config (from
 * `--resume DIR/all_config.yaml` when that exists, otherwise config files + preset +
 * overrides), handles `--print-config`, generates the preset's dataset when missing, checks
 * the data paths, then calls the runner. Register a custom runner with
 * `runCli(argv, { handlers: { train: createTrainCommand(myRunner) } })`.
 */
export function createTrainCommand(runner?: TrainRunner): CommandHandler {
  return (ctx) =>
    trainFrame(ctx, runner ?? (async (c) => (await import('./run-train.js')).runTrain(c)));
}

/** The default `trm train` handler (runs ./run-train.ts). */
export const trainCommand: CommandHandler = createTrainCommand();

async function trainFrame(ctx: CommandContext, runner: TrainRunner): Promise<number | undefined> {
  const { io } = ctx;
  const resumeFlag = str(ctx, 'resume');
  const resume = resumeFlag === undefined ? undefined : resolvePath(io, resumeFlag);
  const seedsFlag = str(ctx, 'seeds');
  const seeds =
    seedsFlag === undefined
      ? undefined
      : parseSeeds(seedsFlag, { overrides: ctx.overrides, resume: resume !== undefined });
  // A run to resume must be one before anything else happens (no dataset is generated for it).
  if (resume !== undefined) checkResumable(resume, resumeFlag!);
  const resolved =
    resume !== undefined
      ? loadTrainConfigFile(join(resume, 'all_config.yaml'), ctx.overrides, io.env)
      : resolveTrainConfig(ctx.overrides, {
          preset: str(ctx, 'preset'),
          configDir: str(ctx, 'config-dir'),
          configName: str(ctx, 'config-name'),
          cwd: io.cwd,
          env: io.env,
        });
  const { sources } = resolved;
  if (bool(ctx, 'print-config')) {
    const header = [
      `trm train --print-config${sources.preset ? ` (preset ${sources.preset})` : ''}`,
      ...sources.files.map((f) => `from ${f}`),
      ...(sources.overrides.length > 0 ? [`overrides: ${sources.overrides.join(' ')}`] : []),
    ].join('\n');
    io.stdout.write(toYaml(resolved.config, header));
    return 0;
  }
  if (resume !== undefined) checkHasCheckpoint(resume, resumeFlag!);
  // Names fixed once here, so every rank of a multi-device run agrees on the run directory.
  const config = withRunNames(resolved.config);
  const runDir = resume ?? resolvePath(io, config.checkpoint_path!);
  const overwrite = bool(ctx, 'overwrite');
  if (resume === undefined)
    checkOutputDir(runDir, {
      overwrite,
      label: 'The run directory (checkpoint_path)',
      writes: seeds
        ? `one run directory per seed (${seeds.map((s) => `seed-${s}/`).join(', ')}), ${SEED_SUMMARY_JSON}, ${SEED_SUMMARY_MD}`
        : 'step_<N>.safetensors, step_<N>.state.safetensors, best_step_<N>.*, best.json, metrics.jsonl, all_config.yaml, charts/, eval_step_<N>/',
    });
  // Checked now (a run directory becomes its newest checkpoint); read after the data.
  if (config.load_checkpoint) {
    const arg = resolveCheckpointArg(config.load_checkpoint, io, 'load_checkpoint');
    if (arg.kind === 'file') config.load_checkpoint = arg.path;
  }

  if (sources.preset)
    io.stderr.write(
      `preset ${sources.preset}${sources.presetDescription ? `: ${sources.presetDescription}` : ''}\n`,
    );
  for (const note of ignoredArchKeyNotes(config)) io.stderr.write(`${note}\n`);
  const firstData = config.data_paths[0];
  // The recipe describes the preset's own data path; a path the user chose is never generated.
  const presetData = !(sources.origins.data_paths ?? '').startsWith('override');
  if (sources.dataset && firstData !== undefined && presetData && bool(ctx, 'prepare-data')) {
    const { prepareDataset } = await import('./prepare-data.js');
    await prepareDataset(sources.dataset, resolvePath(io, firstData), io);
  }
  // Training reads the train split of data_paths, evaluation the test split of data_paths_test
  // (or of data_paths when that list is empty).
  for (const p of config.data_paths)
    checkDatasetDir(io, p, 'data_paths', 'train', sources.requires);
  const testPaths = config.data_paths_test.length > 0 ? config.data_paths_test : config.data_paths;
  const testKey = config.data_paths_test.length > 0 ? 'data_paths_test' : 'data_paths';
  for (const p of testPaths) checkDatasetDir(io, p, testKey, 'test', sources.requires);
  const checked: TrainContext = { ...ctx, config, sources, resume, runDir, overwrite };
  if (seeds) return (await import('./run-seeds.js')).runSeeds(checked, seeds, runner);
  return runner(checked);
}

/** `--resume DIR` must be a run directory with its config and at least one whole checkpoint. */
function checkResumable(dir: string, flag: string): void {
  requireDir(dir, '--resume: the run directory');
  if (!existsSync(join(dir, 'all_config.yaml')))
    throw new InputError(
      `--resume ${flag} is not a run directory of trm train (it has no all_config.yaml). Give the directory a run was saved in (its checkpoint_path).`,
      { file: dir },
    );
}

/** The run to resume has a checkpoint to resume from (checked after its config is read). */
function checkHasCheckpoint(dir: string, flag: string): void {
  if (listCheckpoints(dir).length === 0)
    throw new InputError(
      `--resume ${flag}: no complete checkpoint to resume from (step_<N>.safetensors with its step_<N>.state.safetensors). The run stopped before its first checkpoint: start it again without --resume.`,
      { file: dir },
    );
}

/** A data path must be a dataset directory with the split training reads from it. */
function checkDatasetDir(
  io: CommandContext['io'],
  p: string,
  key: string,
  split: 'train' | 'test',
  requires: string | undefined,
): void {
  const abs = resolvePath(io, p);
  const how = requires
    ? ` Build it with:\n  ${requires}`
    : ' Build it with trm build-dataset (see trm build-dataset --help).';
  if (existsSync(abs) && !statSync(abs).isDirectory())
    throw new InputError(`${key}: ${p} is a file, not a dataset directory.${how}`, { file: abs });
  if (!existsSync(join(abs, split, 'dataset.json'))) {
    throw new InputError(
      `${key}: dataset ${p} not found or without a ${split} split (no ${join(p, split, 'dataset.json')}).${how}`,
      { file: abs },
    );
  }
}
