import { existsSync } from 'node:fs';
import type { CliIO } from '../cli/types.js';
import { loadTrainConfigFile, type ResolvedConfig, resolveTrainConfig } from '../config/resolve.js';

/** Where the config of a command that runs a checkpoint (`trm eval`, `trm adapt`) comes from. */
export interface CheckpointConfigSources {
  /** `key=value` overrides, in order. */
  overrides: readonly string[];
  preset: string | undefined;
  configDir: string | undefined;
}

/**
 * The config to run a checkpoint with: `configFile` (the all_config.yaml beside it) plus the
 * overrides when that file exists, else the config files, preset and overrides.
 */
export function checkpointConfig(
  io: CliIO,
  configFile: string | undefined,
  sources: CheckpointConfigSources,
): ResolvedConfig {
  return configFile !== undefined && existsSync(configFile)
    ? loadTrainConfigFile(configFile, sources.overrides, io.env)
    : resolveTrainConfig(sources.overrides, {
        preset: sources.preset,
        configDir: sources.configDir,
        cwd: io.cwd,
        env: io.env,
      });
}
