import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandContext, CommandHandler } from '../cli/types.js';
import {
  type ConfigSources,
  loadTrainConfigFile,
  type ResolvedConfig,
  resolveTrainConfig,
} from '../config/resolve.js';
import type { TrainConfig } from '../config/schema.js';
import { toYaml } from '../config/yaml.js';
import { InputError } from '../errors.js';
import { bool, requireDir, resolvePath, str } from './common.js';

/** What the real training handler ({@link import('./train.js').runTrain}) receives. */
export interface TrainContext extends CommandContext {
  /** Resolved, validated config (interpolations done). Paths are as written (relative to io.cwd). */
  config: TrainConfig;
  sources: ConfigSources;
  /** `--resume DIR` (absolute), when given. */
  resume: string | undefined;
}

/** The function that actually trains (default: `runTrain` of ./train.ts, loaded lazily). */
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
    trainFrame(ctx, runner ?? (async (c) => (await import('./train.js')).runTrain(c)));
}

/** The default `trm train` handler (runs ./train.ts). */
export const trainCommand: CommandHandler = createTrainCommand();

async function trainFrame(ctx: CommandContext, runner: TrainRunner): Promise<number | undefined> {
  const { io } = ctx;
  const resumeFlag = str(ctx, 'resume');
  const resume = resumeFlag === undefined ? undefined : resolvePath(io, resumeFlag);
  let resolved: ResolvedConfig;
  if (resume !== undefined) requireDir(resume, '--resume: the run directory');
  if (resume !== undefined && existsSync(join(resume, 'all_config.yaml'))) {
    resolved = loadTrainConfigFile(join(resume, 'all_config.yaml'), ctx.overrides, io.env);
  } else {
    resolved = resolveTrainConfig(ctx.overrides, {
      preset: str(ctx, 'preset'),
      configDir: str(ctx, 'config-dir'),
      configName: str(ctx, 'config-name'),
      cwd: io.cwd,
      env: io.env,
    });
  }
  const { config, sources } = resolved;
  if (bool(ctx, 'print-config')) {
    const header = [
      `trm train --print-config${sources.preset ? ` (preset ${sources.preset})` : ''}`,
      ...sources.files.map((f) => `from ${f}`),
      ...(sources.overrides.length > 0 ? [`overrides: ${sources.overrides.join(' ')}`] : []),
    ].join('\n');
    io.stdout.write(toYaml(config, header));
    return 0;
  }
  if (sources.preset)
    io.stderr.write(
      `preset ${sources.preset}${sources.presetDescription ? `: ${sources.presetDescription}` : ''}\n`,
    );

  const firstData = config.data_paths[0];
  if (sources.dataset && firstData !== undefined && bool(ctx, 'prepare-data')) {
    const { prepareDataset } = await import('./prepare-data.js');
    await prepareDataset(sources.dataset, resolvePath(io, firstData), io);
  }
  for (const p of [...config.data_paths, ...config.data_paths_test]) {
    const abs = resolvePath(io, p);
    if (
      !existsSync(join(abs, 'train', 'dataset.json')) &&
      !existsSync(join(abs, 'test', 'dataset.json'))
    ) {
      const how = sources.requires
        ? ` Build it with:\n  ${sources.requires}`
        : ' Build it with trm build-dataset (see trm build-dataset --help).';
      throw new InputError(
        `Dataset ${p} not found (no ${join(p, 'train', 'dataset.json')}).${how}`,
        { file: abs },
      );
    }
  }
  return runner({ ...ctx, config, sources, resume });
}
