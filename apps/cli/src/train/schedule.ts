import { type DatasetMetadata, totalTrainSteps } from '@trm/datasets';
import type { TrainConfig } from '../config/schema.js';
import { InputError } from '../errors.js';

/** How long a run is: its iterations and optimiser steps (spec §8). */
export interface RunSchedule {
  /** Epochs per iteration (`eval_interval`, or all of `epochs`). */
  evalInterval: number;
  /** `epochs / eval_interval`: passes over the data, each followed by a possible evaluation. */
  iterations: number;
  /** The learning-rate schedule's length, counted as the reference counts it. */
  totalSteps: number;
  /** The steps the run will really take, when the data makes that exact; else `totalSteps`. */
  planned: number;
  /** The step the run stops at: `totalSteps`, or `maxSteps` when that comes first. */
  stopAt: number;
}

/** Epochs per training iteration: `eval_interval`, or all of `epochs` when it is unset. */
export function epochsPerIteration(config: TrainConfig): number {
  return config.eval_interval ?? config.epochs;
}

/**
 * The schedule of a run on the train split described by `metadata`. Throws an
 * {@link InputError} when the run would take no optimiser step at all.
 */
export function runSchedule(
  config: TrainConfig,
  metadata: DatasetMetadata,
  maxSteps: number | undefined,
): RunSchedule {
  const gbs = config.global_batch_size;
  const evalInterval = epochsPerIteration(config);
  const iterations = Math.max(1, Math.floor(config.epochs / evalInterval));
  const totalSteps = totalTrainSteps(metadata, config.epochs, gbs);
  if (totalSteps < 1) {
    throw new InputError(
      `The run would take no optimiser step: ${config.epochs} epochs × ${metadata.total_groups} groups × ${metadata.mean_puzzle_examples} examples / global_batch_size ${gbs} < 1. Lower global_batch_size or raise epochs.`,
    );
  }
  const planned = plannedSteps(metadata, iterations, evalInterval, gbs) ?? totalSteps;
  const stopAt = maxSteps === undefined ? totalSteps : Math.min(totalSteps, maxSteps);
  return { evalInterval, iterations, totalSteps, planned, stopAt };
}

/**
 * The optimiser steps the run will take, when the data makes it exact: one example per group
 * and pick (Sudoku, Maze), so each iteration has floor(groups × epochs per iteration / batch)
 * full batches. The reference's schedule length (epochs × groups / batch) can be a few steps
 * more, because every iteration drops its last partial batch. Undefined for datasets whose
 * batches depend on which puzzles are drawn (ARC).
 */
export function plannedSteps(
  metadata: { mean_puzzle_examples: number; total_puzzles: number; total_groups: number },
  iterations: number,
  epochsPerIteration: number,
  globalBatchSize: number,
): number | undefined {
  if (metadata.mean_puzzle_examples !== 1 || metadata.total_puzzles !== metadata.total_groups)
    return undefined;
  return iterations * Math.floor((metadata.total_groups * epochsPerIteration) / globalBatchSize);
}
