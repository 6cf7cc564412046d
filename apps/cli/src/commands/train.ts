/**
 * ============================================================================================
 * PLACEHOLDER — `trm train` is not wired to the model packages yet.
 * The lead engineer replaces this file: keep the `runTrain` signature (the frame in
 * train-command.ts has already resolved and validated the config, prepared the preset's
 * dataset and checked that the data paths exist). Return an exit code (undefined = 0); throw
 * CliError subclasses for user errors (exit 2) and anything else for runtime failures (exit 1).
 * ============================================================================================
 */
import type { TrainContext } from './train-command.js';

/** Runs training with the resolved config. */
export async function runTrain(ctx: TrainContext): Promise<number | undefined> {
  ctx.io.stderr.write(
    `trm train: not wired yet — the config resolved fine (preset ${ctx.sources.preset ?? 'none'}, data ${ctx.config.data_paths.join(', ')}), but training needs the model packages. Use --print-config to see the config.\n`,
  );
  return 1;
}
