import type { WorkerJob } from '../parallel/protocol.js';
import type { EvalJobOptions } from './run-eval.js';
import type { TrainJob } from './run-train.js';

/**
 * The inputs of the jobs that `trm train --devices N` and `trm eval --devices N` run on every
 * rank, by kind. The worker threads run them from src/parallel-worker.ts; the commands
 * describe them with {@link parallelJob}. Only types here, so the commands and the worker
 * entry import this file without importing each other.
 */
export interface ParallelJobInputs {
  train: TrainJob;
  eval: EvalJobOptions;
}

/** A job of `kind` with its input, for `runOnDevices`. */
export function parallelJob<K extends keyof ParallelJobInputs>(
  kind: K,
  input: ParallelJobInputs[K],
): WorkerJob {
  return { kind, input };
}
