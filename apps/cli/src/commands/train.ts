import { assertEvenSplit, devicesFor } from '../parallel/plan.js';
import { formatEvalReport, type TrainSummary, train } from '../train/loop.js';
import type { TrainContext } from './train-command.js';

/** `trm train`: runs the training loop on the resolved config and reports the result. */
export async function runTrain(ctx: TrainContext): Promise<number | undefined> {
  const wandb =
    ctx.overrides.some((o) => /^\+?logger=wandb$/.test(o)) || ctx.io.env.TRM_LOGGER === 'wandb';
  const slots = await devicesFor(ctx.flags.devices as string | undefined);
  let summary: TrainSummary;
  if (slots.length > 1) {
    assertEvenSplit(
      'global_batch_size',
      ctx.config.global_batch_size,
      slots.length,
      'set global_batch_size',
    );
    const { runOnDevices } = await import('../parallel/launch.js');
    summary = await runOnDevices<TrainSummary>(
      { kind: 'train', config: ctx.config, resume: ctx.resume, wandb },
      slots,
      ctx.io,
    );
  } else {
    summary = await train(ctx.config, {
      io: ctx.io,
      resume: ctx.resume,
      wandb,
      adapterName: slots[0]?.adapterName,
    });
  }
  const { io } = ctx;
  io.stdout.write(
    `\nfinished ${summary.steps} steps in ${summary.seconds.toFixed(1)} s; run directory ${summary.runDir}\n`,
  );
  if (summary.lastEval) {
    const n = { puzzles: summary.testPuzzles, seqLen: summary.seqLen };
    io.stdout.write(`final evaluation:\n${formatEvalReport(summary.lastEval, n)}\n`);
  }
  if (summary.allReduce) {
    const a = summary.allReduce;
    io.stdout.write(
      `gradient all-reduce over ${a.devices} devices: ${a.meanMs.toFixed(1)} ms per step (${a.meanReduceMs.toFixed(1)} ms of it in shared memory, the rest GPU copies)\n`,
    );
  }
  if (summary.checkpoints.length > 0)
    io.stdout.write(`last checkpoint: ${summary.checkpoints.at(-1)}\n`);
  return 0;
}
