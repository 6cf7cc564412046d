import type { CliIO } from '../cli/types.js';
import type { Collective, CollectiveHandle } from './collective.js';

/**
 * The work a data-parallel run does; every rank receives the same job. `kind` names a job of
 * the {@link ParallelJobs} the worker threads were started with; `input` is plain data (it is
 * copied to every worker thread).
 */
export interface WorkerJob {
  kind: string;
  input: unknown;
}

/** What a rank knows about the run it is part of. */
export interface ParallelRank {
  comm: Collective;
  /** Dawn adapter name for this rank's device (undefined: the default adapter). */
  adapterName: string | undefined;
}

/**
 * One rank's share of a job: runs with that rank's output streams (only rank 0's reach the
 * terminal) and its place in the run; rank 0's result is the run's.
 */
export type ParallelJob<Input, Result = unknown> = (
  input: Input,
  io: CliIO,
  parallel: ParallelRank,
) => Promise<Result>;

/**
 * The jobs a worker thread can run, by {@link WorkerJob.kind}. The commands that run on
 * several devices fill it (src/commands/parallel-jobs.ts); this folder never imports them.
 */
export type ParallelJobs = Readonly<Record<string, ParallelJob<never>>>;

/** `workerData` of a worker thread. */
export interface WorkerInput {
  rank: number;
  adapterName: string | undefined;
  collective: CollectiveHandle;
  job: WorkerJob;
  cwd: string;
  env: Record<string, string | undefined>;
  stderrTTY: boolean;
  stderrColumns: number;
}

/** Messages from a worker to the launcher. */
export type WorkerMessage =
  | { type: 'write'; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'done'; result: unknown }
  | { type: 'error'; message: string; exitCode: number; aborted: boolean };
