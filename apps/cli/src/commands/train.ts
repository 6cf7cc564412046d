import { formatEvalReport, train } from '../train/loop.js';
import type { TrainContext } from './train-command.js';

/** `trm train`: runs the training loop on the resolved config and reports the result. */
export async function runTrain(ctx: TrainContext): Promise<number | undefined> {
  const wandb =
    ctx.overrides.some((o) => /^\+?logger=wandb$/.test(o)) || ctx.io.env.TRM_LOGGER === 'wandb';
  const summary = await train(ctx.config, { io: ctx.io, resume: ctx.resume, wandb });
  const { io } = ctx;
  io.stdout.write(
    `\nfinished ${summary.steps} steps in ${summary.seconds.toFixed(1)} s; run directory ${summary.runDir}\n`,
  );
  if (summary.lastEval) {
    const n = { puzzles: summary.testPuzzles, seqLen: summary.seqLen };
    io.stdout.write(`final evaluation:\n${formatEvalReport(summary.lastEval, n)}\n`);
  }
  if (summary.checkpoints.length > 0)
    io.stdout.write(`last checkpoint: ${summary.checkpoints.at(-1)}\n`);
  return 0;
}
