/**
 * The layout of a run directory: which files trm writes there, how checkpoints are named,
 * and which of them are complete. Free of the GPU packages so that commands can check a run
 * directory before loading anything heavy.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const weightsFile = (dir: string, step: number) => join(dir, `step_${step}.safetensors`);
export const stateFile = (dir: string, step: number) => join(dir, `step_${step}.state.safetensors`);
/** The files of a best checkpoint (`checkpoint_keep_best`), written like the `step_<N>` ones. */
export const bestWeightsFile = (dir: string, step: number) =>
  join(dir, `best_step_${step}.safetensors`);
export const bestStateFile = (dir: string, step: number) =>
  join(dir, `best_step_${step}.state.safetensors`);
/** The list of the kept best checkpoints and the early-stopping counter. */
export const bestListFile = (dir: string) => join(dir, 'best.json');

/**
 * Names trm writes into a run directory (checkpoints, logs, charts, evaluation outputs, and
 * the renumbered dataset and report of `trm adapt`).
 */
const RUN_FILE =
  /^(all_config\.yaml|metrics\.jsonl(\.tmp)?|charts|eval_step_\d+|(best_)?step_\d+(\.state)?\.safetensors|best\.json(\.tmp)?|adapt_dataset|adapt\.json)$/;

/** Step numbers of the complete checkpoints in `dir` (weights and state both present), newest first. */
export function listCheckpoints(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^step_(\d+)\.safetensors$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .filter((step) => existsSync(stateFile(dir, step)))
    .sort((a, b) => b - a);
}

/** The entries of `dir` that a previous trm run wrote (by name). */
export function runFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => RUN_FILE.test(n));
}

/**
 * Removes what a previous run wrote into `dir` (`--overwrite`), leaving every other file
 * alone. Returns the names removed.
 */
export function clearRunFiles(dir: string): string[] {
  const names = runFiles(dir);
  for (const n of names) rmSync(join(dir, n), { recursive: true, force: true });
  return names;
}
