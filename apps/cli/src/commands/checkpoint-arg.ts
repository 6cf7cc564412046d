import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CliIO } from '../cli/types.js';
import { loadTrainConfigFile, type ResolvedConfig, resolveTrainConfig } from '../config/resolve.js';
import { InputError } from '../errors.js';
import { listCheckpoints, weightsFile } from '../train/run-dir.js';
import { fetchHubCheckpoint } from '../util/hub.js';
import { isHubFileId } from '../util/hub-id.js';
import { requireFile, resolvePath } from './common.js';

/** A checkpoint argument, resolved: a local file, or a hub file id to download. */
export type CheckpointArg = { kind: 'file'; path: string } | { kind: 'hub'; id: string };

/**
 * Interprets a checkpoint argument (`--checkpoint`, `load_checkpoint`): an existing file, a
 * run directory of `trm train` (its newest complete checkpoint) or a hub file
 * `owner/repo/filename`. Anything else is an {@link InputError} naming the argument: a missing
 * path, a directory without checkpoints, a device or a named pipe.
 */
export function resolveCheckpointArg(arg: string, io: CliIO, label: string): CheckpointArg {
  const local = resolvePath(io, arg);
  if (existsSync(local)) {
    if (statSync(local).isDirectory()) {
      const step = listCheckpoints(local)[0];
      if (step === undefined)
        throw new InputError(
          `${label} ${arg} is a directory without a complete checkpoint (step_<N>.safetensors with its step_<N>.state.safetensors). Give a checkpoint file or a run directory of trm train.`,
          { file: local },
        );
      return { kind: 'file', path: weightsFile(local, step) };
    }
    requireFile(local, label);
    return { kind: 'file', path: local };
  }
  if (isHubFileId(arg, io.cwd)) return { kind: 'hub', id: arg };
  throw new InputError(
    `${label} ${arg} not found (neither a local file or run directory nor a hub file owner/repo/filename).`,
    { file: local },
  );
}

/**
 * A checkpoint argument as a local file: the file or run directory's checkpoint itself, or a
 * hub file downloaded into the cache.
 */
export async function localCheckpoint(arg: string, io: CliIO, label: string): Promise<string> {
  const resolved = resolveCheckpointArg(arg, io, label);
  return resolved.kind === 'file' ? resolved.path : fetchHubCheckpoint(resolved.id, io);
}

/**
 * The config a checkpoint was trained with: the `all_config.yaml` beside it when there is
 * one, else the shipped defaults; `overrides` apply on top.
 */
export function checkpointConfig(
  path: string,
  io: CliIO,
  overrides: readonly string[] = [],
): ResolvedConfig {
  const configFile = join(dirname(path), 'all_config.yaml');
  return existsSync(configFile)
    ? loadTrainConfigFile(configFile, overrides, io.env)
    : resolveTrainConfig(overrides, { cwd: io.cwd, env: io.env });
}
