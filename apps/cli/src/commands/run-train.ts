/**
 * `trm train`, the running side: trains on one device or on several (data parallel) and
 * reports. Its input, the checked context, comes from ./train-flags.ts.
 */
import { removeOwnTemporaries } from '@trm/model';
import { invocation } from '../cli/invocation.js';
import type { CliIO } from '../cli/types.js';
import type { TrainConfig } from '../config/schema.js';
import { assertEvenSplit, devicesFor } from '../parallel/plan.js';
import type { ParallelRank } from '../parallel/protocol.js';
import { type TrainSummary, train } from '../train/loop.js';
import { formatEvalReport } from '../train/report.js';
import { listCheckpoints, weightsFile } from '../train/run-dir.js';
import { wandbRequested } from '../train/wandb.js';
import { fetchHubCheckpoint } from '../util/hub.js';
import { isHubFileId } from '../util/hub-id.js';
import { onInterrupt } from '../util/interrupt.js';
import { parallelJob } from './parallel-jobs.js';
import type { TrainContext } from './train-flags.js';

/** What an interrupted run leaves: its newest complete checkpoint and the command to go on. */
export function interruptNote(runDir: string, cmd = 'trm'): string {
  const step = listCheckpoints(runDir)[0];
  if (step === undefined)
    return `interrupted before the first checkpoint; nothing to resume (run directory ${runDir}).`;
  return `interrupted. Last checkpoint: ${weightsFile(runDir, step)} (step ${step}). Continue with:\n  ${cmd} train --resume ${runDir}`;
}

/** `trm train`: runs the training loop on the resolved config and reports the result. */
export async function runTrain(ctx: TrainContext): Promise<number | undefined> {
  const wandb = wandbRequested(ctx.config, ctx.io.env);
  const slots = await devicesFor(ctx.flags.devices as string | undefined);
  // Ctrl-C: say what is saved and how to continue (the newest checkpoint is complete).
  const release = onInterrupt(() => {
    // A checkpoint being written when the signal lands goes: the previous one is complete.
    removeOwnTemporaries(ctx.runDir);
    ctx.io.stderr.write(`\n${interruptNote(ctx.runDir, invocation(ctx.io.env))}\n`);
  });
  let summary: TrainSummary;
  try {
    if (slots.length > 1) {
      assertEvenSplit(
        'global_batch_size',
        ctx.config.global_batch_size,
        slots.length,
        'set global_batch_size',
      );
      // Every rank reads load_checkpoint; a hub file is fetched here once, so that they all
      // find it in the cache rather than download it at the same time into the same place.
      const source = ctx.config.load_checkpoint;
      if (ctx.resume === undefined && source && isHubFileId(source, ctx.io.cwd))
        await fetchHubCheckpoint(source, ctx.io);
      const { runOnDevices } = await import('../parallel/launch.js');
      summary = await runOnDevices<TrainSummary>(
        parallelJob('train', {
          config: ctx.config,
          resume: ctx.resume,
          overwrite: ctx.overwrite,
          wandb,
        }),
        slots,
        ctx.io,
      );
    } else {
      summary = await train(ctx.config, {
        io: ctx.io,
        resume: ctx.resume,
        overwrite: ctx.overwrite,
        wandb,
        adapterName: slots[0]?.adapterName,
      });
    }
  } finally {
    release();
  }
  const { io } = ctx;
  io.stdout.write(
    `\nfinished ${summary.steps} steps in ${summary.seconds.toFixed(1)} s; run directory ${summary.runDir}\n`,
  );
  if (summary.lastEval) {
    const n = {
      puzzles: summary.testPuzzles,
      seqLen: summary.seqLen,
      ...(summary.testPuzzlesBySet ? { setPuzzles: summary.testPuzzlesBySet } : {}),
    };
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

/** What every rank of `trm train --devices N` receives (plain data: it goes to each worker). */
export interface TrainJob {
  config: TrainConfig;
  resume?: string;
  overwrite?: boolean;
  wandb?: boolean;
  maxSteps?: number;
}

/** One rank's part of `trm train --devices N` (the `train` job of ./parallel-jobs.ts). */
export function trainOnRank(
  job: TrainJob,
  io: CliIO,
  parallel: ParallelRank,
): Promise<TrainSummary> {
  return train(job.config, {
    io,
    resume: job.resume,
    overwrite: job.overwrite,
    wandb: job.wandb,
    maxSteps: job.maxSteps,
    parallel,
  });
}
