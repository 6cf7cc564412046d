import type { ParallelJobs, WorkerJob } from '../parallel/protocol.js';
import type { EvalJobOptions } from './run-eval.js';
import type { TrainJob } from './run-train.js';

/**
 * The jobs that `trm train --devices N` and `trm eval --devices N` run on every rank, by name.
 * The worker threads run them from here (src/parallel-worker.ts); the commands describe them
 * with {@link parallelJob}. Each is loaded when a worker runs it, as the commands load theirs.
 */
export const parallelJobs = {
  train: async (job: TrainJob, io, parallel) =>
    (await import('./run-train.js')).trainOnRank(job, io, parallel),
  eval: async (options: EvalJobOptions, io, parallel) =>
    (await import('./run-eval.js')).evaluateCheckpoint(options, io, parallel),
} satisfies ParallelJobs;

/** The job `kind` of {@link parallelJobs} with its input, for `runOnDevices`. */
export function parallelJob<K extends keyof typeof parallelJobs>(
  kind: K,
  input: Parameters<(typeof parallelJobs)[K]>[0],
): WorkerJob {
  return { kind, input };
}
