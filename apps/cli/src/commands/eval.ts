/**
 * ============================================================================================
 * PLACEHOLDER — `trm eval` is not wired to the model packages yet.
 * The lead engineer replaces this file: keep the `runEval` signature (the frame in
 * eval-command.ts has parsed and checked the flags). Return an exit code (undefined = 0).
 * ============================================================================================
 */
import type { EvalContext } from './eval-command.js';

/** Evaluates a checkpoint. */
export async function runEval(ctx: EvalContext): Promise<number | undefined> {
  ctx.io.stderr.write(
    `trm eval: not wired yet — evaluating ${ctx.options.checkpoint} on ${ctx.options.dataset} needs the model packages.\n`,
  );
  return 1;
}
