import type { PuzzleDataset } from '@trm/datasets';
import type { TinyRecursiveModel } from '@trm/model';
import type { Device } from '@trm/tensor';
import type { CliIO } from '../cli/types.js';
import type { TrainConfig } from '../config/schema.js';
import type { Collective } from '../parallel/collective.js';
import type { GradientSync } from '../parallel/grad-sync.js';
import type { ParallelRank } from '../parallel/protocol.js';
import type { ScopedEvaluator } from './dataset-evaluators.js';
import type { BestCheckpoints } from './keep-best.js';
import type { Optimizers } from './optimizers.js';
import type { RunOutput } from './run-output.js';
import type { RunSchedule } from './schedule.js';

/** Options of `train()` besides the config. */
export interface TrainOptions {
  io: CliIO;
  /** Run directory to resume from (`--resume`). */
  resume?: string;
  /** `--overwrite`: remove the previous run's files from the run directory before writing. */
  overwrite?: boolean;
  /** Log to W&B even without WANDB_API_KEY (`logger=wandb`). */
  wandb?: boolean;
  /** Stop after this many optimiser steps (tests; a kill-test stand-in). */
  maxSteps?: number;
  /** This process is one rank of a data-parallel run (`trm train --devices N`). */
  parallel?: ParallelRank;
  /** Dawn adapter name of the single device (`--devices 1,`); default adapter otherwise. */
  adapterName?: string;
  /**
   * The run's schedule, fixed by the caller instead of derived from `epochs` and
   * `eval_interval` (`trm adapt` counts its steps itself).
   */
  schedule?: RunSchedule;
  /**
   * Puts the starting weights into the new model in place of `load_checkpoint` (`trm adapt`:
   * a checkpoint whose puzzle table has rows appended). Called before anything is written.
   */
  initialWeights?: (model: TinyRecursiveModel) => void | Promise<void>;
  /** Puzzle-embedding rows below this one are never trained (sign-SGD's `firstRow`). */
  firstPuzzleRow?: number;
}

/** Where this process stands in the run: the only device, or one rank of several (spec §7–8). */
export interface RunTopology {
  rank: number;
  /** Number of ranks (1 on one device). */
  world: number;
  /** Rank 0, which owns the run directory and the terminal. */
  isRoot: boolean;
  /** `global_batch_size`: the rows of one optimiser step, over all ranks. */
  globalBatch: number;
  /** The rows this rank runs in each step. */
  localBatch: number;
  comm: Collective | undefined;
  /** Sums the gradients over ranks; null on one device. */
  sync: GradientSync | null;
}

/**
 * A training run from set-up to its last checkpoint: what the reference's `pretrain.py` keeps
 * in its `TrainState` and local variables. Made by `setUpRun`, advanced by `trainStep`, read by
 * `evaluateRun` and `saveCheckpoint`.
 */
export interface TrainRun {
  /** The config as given (the run names are in {@link names}). */
  config: TrainConfig;
  io: CliIO;
  device: Device;
  topology: RunTopology;
  schedule: RunSchedule;
  trainSet: PuzzleDataset;
  testSet: PuzzleDataset;
  evaluators: ScopedEvaluator[];
  /** With several test datasets: each one's `total_puzzles`, by the names of its sets. */
  testPuzzlesBySet?: Record<string, number>;
  /** Test batches of one evaluation, for its progress bar; known when every test puzzle is one example. */
  evalBatches: number | undefined;
  model: TinyRecursiveModel;
  /** Whether training steps draw ACT exploration (more than one halting step allowed). */
  explores: boolean;
  optimizers: Optimizers;
  /** The run directory (absolute). */
  runDir: string;
  names: { project: string; run: string };
  output: RunOutput;
  /** Optimiser steps taken so far. */
  step: number;
  /** The first iteration to run: 0, or where a resumed run goes on. */
  firstIteration: number;
  /** Checkpoints written by this process, oldest first. */
  checkpoints: string[];
  lastEval: Record<string, number> | null;
  /** `checkpoint_keep_best` / `early_stop_patience` (rank 0; null when off or on other ranks). */
  best: BestCheckpoints | null;
  /** Why the run stopped early (`early_stop_patience`), null while it goes on. */
  stopped: string | null;
  /** Gradient all-reduce time summed over the steps that had one (data-parallel runs). */
  allReduce: { totalMs: number; reduceMs: number; steps: number };
}
