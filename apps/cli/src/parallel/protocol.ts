import type { TrainConfig } from '../config/schema.js';
import type { CollectiveHandle } from './collective.js';

/** The work one data-parallel run does; every rank receives the same job. */
export type WorkerJob =
  | {
      kind: 'train';
      config: TrainConfig;
      resume?: string;
      overwrite?: boolean;
      wandb?: boolean;
      maxSteps?: number;
    }
  | { kind: 'eval'; options: import('../commands/eval.js').EvalJobOptions };

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

/** What a rank knows about the run it is part of. */
export interface ParallelRank {
  comm: import('./collective.js').Collective;
  /** Dawn adapter name for this rank's device (undefined: the default adapter). */
  adapterName: string | undefined;
}
