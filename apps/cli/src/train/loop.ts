import { Rng } from '@trm/datasets';
import { type ActCarry, TinyRecursiveModel } from '@trm/model';
import type { Device } from '@trm/tensor';
import type { TrainConfig } from '../config/schema.js';
import { GradientSync } from '../parallel/grad-sync.js';
import { evaluateRun } from './evaluate-run.js';
import { trackedMetric } from './keep-best.js';
import { prepareMatmul } from './matmul-cache.js';
import { openDevice } from './model-setup.js';
import { restoreTrainedWeights, swapInEma } from './optimizers.js';
import { saveBestCheckpoint, saveCheckpoint } from './run-checkpoint.js';
import { setUpRun } from './set-up.js';
import type { TrainOptions, TrainRun } from './train-run.js';
import { explorationDraws, trainStep } from './train-step.js';

export type { TrainOptions } from './train-run.js';

/** What a finished run reports. */
export interface TrainSummary {
  runDir: string;
  steps: number;
  checkpoints: string[];
  lastEval: Record<string, number> | null;
  /** Test-split size, for the Wilson intervals of the final evaluation. */
  testPuzzles: number;
  /** With several test datasets: each one's test-split size, by the names of its sets. */
  testPuzzlesBySet?: Record<string, number>;
  seqLen: number;
  seconds: number;
  /** Data-parallel runs: mean time of the gradient all-reduce per step, in milliseconds. */
  allReduce?: { devices: number; meanMs: number; meanReduceMs: number };
}

/**
 * The training loop of spec §8: `epochs / eval_interval` iterations, each one pass of the
 * shuffled data (`eval_interval` epochs); after each iteration from `min_eval_interval` on, an
 * evaluation and a checkpoint (always after the last). The ACT carry persists from batch to
 * batch within an iteration and starts fresh at every iteration boundary, so a run resumed
 * from a checkpoint continues exactly as the uninterrupted run does.
 *
 * The pieces, in the order a run meets them: {@link setUpRun} (./set-up.ts), {@link trainStep}
 * (./train-step.ts), {@link evaluateRun} (./evaluate-run.ts), {@link saveCheckpoint}
 * (./run-checkpoint.ts).
 */
export async function train(config: TrainConfig, options: TrainOptions): Promise<TrainSummary> {
  const started = Date.now();
  const comm = options.parallel?.comm;
  const device: Device = await openDevice(options.parallel?.adapterName ?? options.adapterName);
  const sync = comm ? new GradientSync(comm) : null;
  try {
    await prepareMatmul(device, {
      env: options.io.env,
      log: (line) => options.io.stderr.write(`${line}\n`),
      measure: !options.parallel,
    });
    const run = await setUpRun(config, options, device, sync);
    const { iterations, totalSteps, stopAt } = run.schedule;
    for (let it = run.firstIteration; it < iterations && run.step < stopAt; it++) {
      await trainIteration(run, it);
      const finishedIteration = it + 1 === iterations || run.step >= totalSteps;
      // `maxSteps` stops the run in the middle of an iteration, without evaluating or saving.
      if (run.step >= stopAt && !finishedIteration && options.maxSteps !== undefined) break;
      await evaluateAndSave(run, it, finishedIteration);
      if (run.stopped) break;
    }
    await run.output.finish();
    return summary(run, started);
  } finally {
    // Settle outstanding GPU work (and its error-scope promises) before the device goes away.
    await device.sync().catch(() => undefined);
    device.destroy();
  }
}

/**
 * Iteration `it`: one pass over the shuffled training data, a {@link trainStep} per batch, until
 * the data or the schedule ends. The ACT carry goes from batch to batch and starts fresh here.
 */
export async function trainIteration(run: TrainRun, it: number): Promise<void> {
  // Exploration draws for this iteration, seeded so a resumed run redraws the same ones.
  const explore = new Rng(run.config.seed * 1_000_003 + it, 7);
  let carry: ActCarry = run.model.initialCarry(run.topology.localBatch);
  for (const { batch } of run.trainSet.iterTrain()) {
    if (run.step >= run.schedule.stopAt) break;
    run.step += 1;
    const outcome = await trainStep(run, carry, batch, explorationDraws(run, explore));
    carry = outcome.carry;
    run.output.trainStep(run.step, outcome.metrics, outcome.lr);
  }
  TinyRecursiveModel.disposeCarry(carry);
}

/**
 * After iteration `it`: the evaluation (from `min_eval_interval` on) and the checkpoint (after
 * every evaluation with `checkpoint_every_eval`, and after the last iteration), both with the
 * EMA weights swapped in (spec §7). With `checkpoint_keep_best` / `early_stop_patience` the
 * evaluation is ranked (./keep-best.ts): a checkpoint among the K best is also saved as
 * `best_step_<N>`, `best.json` is rewritten, and a run out of patience saves its checkpoint
 * and stops.
 */
async function evaluateAndSave(
  run: TrainRun,
  it: number,
  finishedIteration: boolean,
): Promise<void> {
  const { config } = run;
  const doEval = it >= config.min_eval_interval;
  let doSave = doEval ? config.checkpoint_every_eval || finishedIteration : finishedIteration;
  const rawWeights = doEval || doSave ? await swapInEma(run.optimizers) : null;
  if (doEval) await evaluateRun(run);
  const outcome = doEval && run.best ? run.best.record(run.step, run.lastEval ?? {}) : null;
  // Every rank stops together: rank 0 decides (only it has the metrics).
  let stop = outcome?.stop ?? false;
  if (doEval && run.topology.comm && trackedMetric(config) !== null)
    stop = (await run.topology.comm.broadcast(Float64Array.of(stop ? 1 : 0)))[0] === 1;
  // An early stop ends the run as its last iteration does: with a checkpoint (the EMA
  // weights are already in: a stop follows an evaluation).
  if (stop) doSave = true;
  if (doSave && run.topology.isRoot) await saveCheckpoint(run, it + 1, rawWeights);
  if (run.best && outcome) {
    if (outcome.keep) {
      const path = await saveBestCheckpoint(run, it + 1, rawWeights);
      run.best.addKept(run.step, outcome.value);
      run.output.note(`best checkpoint ${path} (${run.best.metric} ${outcome.value})`);
    }
    run.best.write();
  }
  if (stop) {
    run.stopped = run.best?.stopReason() ?? 'early stop (early_stop_patience)';
    run.output.note(run.stopped);
  }
  // Charts come after the checkpoint, and a chart that cannot be drawn only warns: the
  // log is for the user, it must never cost the run.
  if (doEval) run.output.drawCharts();
  if (rawWeights) restoreTrainedWeights(run.optimizers, rawWeights);
}

/** What the finished run reports to the `train` command. */
function summary(run: TrainRun, started: number): TrainSummary {
  const { allReduce } = run;
  const testMeta = run.testSet.metadata;
  return {
    runDir: run.runDir,
    steps: run.step,
    checkpoints: run.checkpoints,
    lastEval: run.lastEval,
    testPuzzles: testMeta.total_puzzles,
    ...(run.testPuzzlesBySet ? { testPuzzlesBySet: run.testPuzzlesBySet } : {}),
    seqLen: testMeta.seq_len,
    seconds: (Date.now() - started) / 1000,
    ...(allReduce.steps > 0
      ? {
          allReduce: {
            devices: run.topology.world,
            meanMs: allReduce.totalMs / allReduce.steps,
            meanReduceMs: allReduce.reduceMs / allReduce.steps,
          },
        }
      : {}),
  };
}
