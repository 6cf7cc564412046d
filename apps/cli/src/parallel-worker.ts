/**
 * Entry point of one data-parallel worker thread (built to dist/parallel-worker.js, started by
 * ./parallel/launch.ts): the generic worker of ./parallel/worker.ts, given the jobs of the
 * commands that run on several devices. Each job's module is loaded when a worker runs it.
 */
import type { ParallelJobInputs } from './commands/parallel-jobs.js';
import type { ParallelJobs } from './parallel/protocol.js';
import { runWorker } from './parallel/worker.js';

const parallelJobs = {
  train: async (job: ParallelJobInputs['train'], io, parallel) =>
    (await import('./commands/run-train.js')).trainOnRank(job, io, parallel),
  eval: async (options: ParallelJobInputs['eval'], io, parallel) =>
    (await import('./commands/run-eval.js')).evaluateCheckpoint(options, io, parallel),
} satisfies ParallelJobs;

void runWorker(parallelJobs);
