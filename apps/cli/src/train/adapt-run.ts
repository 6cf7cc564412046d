/**
 * `trm adapt` on the device: the training run's pieces (./set-up.ts, ./loop.ts's iterations,
 * ./evaluate-run.ts, ./run-checkpoint.ts) driven through the phases of test-time adaptation —
 * an evaluation before, the appended puzzle rows trained alone, optionally the whole model, an
 * evaluation and a checkpoint after each phase.
 */
import type { DatasetMetadata } from '@trm/datasets';
import {
  appendPuzzleEmbeddingRows,
  loadWeightsInto,
  PUZZLE_EMB_KEY,
  type TinyRecursiveModel,
} from '@trm/model';
import type { StateEntry } from '@trm/nn';
import type { CliIO } from '../cli/types.js';
import type { TrainConfig } from '../config/schema.js';
import { InputError } from '../errors.js';
import type { PuzzleRowMap } from './adapt-dataset.js';
import { evaluateRun } from './evaluate-run.js';
import { fitError } from './load-model.js';
import { trainIteration } from './loop.js';
import { openDevice } from './model-setup.js';
import { createOptimizers } from './optimizers.js';
import { saveCheckpoint } from './run-checkpoint.js';
import { setUpRun } from './set-up.js';
import type { TrainRun } from './train-run.js';

/** What `trm adapt` runs, every input already read and checked. */
export interface AdaptPlan {
  /**
   * The run's config: the checkpoint's, with `data_paths` the renumbered dataset,
   * `checkpoint_path` the output directory, `freeze_weights`, no EMA and constant rates.
   */
  config: TrainConfig;
  /** The checkpoint file (for messages). */
  checkpoint: string;
  /** Its weights, the puzzle table as trained (rows are appended on loading). */
  weights: ReadonlyMap<string, StateEntry>;
  /** The new dataset as given (for messages) and its train metadata. */
  dataset: string;
  metadata: DatasetMetadata;
  map: PuzzleRowMap;
  /** Steps on the appended rows alone, then on the whole model. */
  steps: number;
  wholeModelSteps: number;
}

/** The phases of an adaptation, each ended by an evaluation. */
export type AdaptPhase = 'before' | 'rows' | 'whole model';

/** What an adaptation reports. */
export interface AdaptOutcome {
  /** The evaluation before any step, and after each phase that ran. */
  evaluations: { phase: AdaptPhase; step: number; metrics: Record<string, number> }[];
  /** The checkpoints written, one after each phase. */
  checkpoints: string[];
  testPuzzles: number;
  seqLen: number;
}

/**
 * Adapts the checkpoint to the new dataset: the model is built for the renumbered dataset (its
 * puzzle table `map.appended` rows longer), loaded with the checkpoint's weights and the
 * appended rows at their mean row, then evaluated; `steps` sign-SGD steps on the appended rows
 * alone (every other weight frozen, `freeze_weights`), then `wholeModelSteps` with AdamATan2 on
 * every weight as well; each phase ends with an evaluation and a checkpoint. The checkpoint's
 * own puzzle rows never change.
 */
export async function adaptCheckpoint(plan: AdaptPlan, io: CliIO): Promise<AdaptOutcome> {
  const device = await openDevice();
  const total = plan.steps + plan.wholeModelSteps;
  const phases = (plan.steps > 0 ? 1 : 0) + (plan.wholeModelSteps > 0 ? 1 : 0);
  const firstPuzzleRow = plan.map.checkpointRows;
  try {
    const run = await setUpRun(
      plan.config,
      {
        io,
        schedule: {
          evalInterval: 1,
          iterations: phases,
          totalSteps: total,
          planned: total,
          stopAt: 0,
        },
        initialWeights: (model) => loadWithAppendedRows(model, plan, io),
        firstPuzzleRow,
      },
      device,
      null,
    );
    const outcome: AdaptOutcome = {
      evaluations: [],
      checkpoints: run.checkpoints,
      testPuzzles: run.testSet.metadata.total_puzzles,
      seqLen: run.testSet.metadata.seq_len,
    };
    let iteration = 0;
    const evaluate = async (phase: AdaptPhase) => {
      await evaluateRun(run);
      outcome.evaluations.push({ phase, step: run.step, metrics: run.lastEval ?? {} });
      if (phase !== 'before') await saveCheckpoint(run, iteration, null);
    };
    await evaluate('before');
    if (plan.steps > 0) {
      iteration = await trainFor(run, plan.steps, iteration);
      await evaluate('rows');
    }
    if (plan.wholeModelSteps > 0) {
      run.config = { ...run.config, freeze_weights: false };
      run.optimizers = createOptimizers(run.model, run.config, total, { firstPuzzleRow });
      iteration = await trainFor(run, plan.wholeModelSteps, iteration);
      await evaluate('whole model');
    }
    await run.output.finish();
    return outcome;
  } finally {
    // Settle outstanding GPU work (and its error-scope promises) before the device goes away.
    await device.sync().catch(() => undefined);
    device.destroy();
  }
}

/** Loads the checkpoint with `map.appended` rows appended to its puzzle table. */
function loadWithAppendedRows(model: TinyRecursiveModel, plan: AdaptPlan, io: CliIO): void {
  const { map } = plan;
  const table = plan.weights.get(PUZZLE_EMB_KEY);
  let weights = plan.weights;
  if (table) {
    const grown = appendPuzzleEmbeddingRows(
      new Map([[PUZZLE_EMB_KEY, { dtype: 'F32', shape: [...table.shape], data: table.data }]]),
      map.appended,
    ).get(PUZZLE_EMB_KEY)!;
    weights = new Map([
      ...plan.weights,
      [PUZZLE_EMB_KEY, { shape: grown.shape, data: grown.data as Float32Array }],
    ]);
  }
  try {
    loadWeightsInto(model, weights);
  } catch (error) {
    throw fitError(error, plan.checkpoint, plan.metadata, plan.dataset);
  }
  const last = map.checkpointRows + map.appended - 1;
  io.stderr.write(
    map.appended > 0
      ? `adapting ${plan.checkpoint}: its puzzle table has ${map.checkpointRows} rows; rows ${map.checkpointRows}..${last} appended for the ${map.appended} puzzle identifiers of ${plan.dataset}, each starting at the mean of the checkpoint's rows\n`
      : `adapting ${plan.checkpoint} to ${plan.dataset} (no puzzle rows appended)\n`,
  );
}

/**
 * Trains `steps` more steps, pass after pass over the training data (iterations counted on
 * from `iteration`); returns the next iteration.
 */
async function trainFor(run: TrainRun, steps: number, iteration: number): Promise<number> {
  const target = run.step + steps;
  run.schedule = { ...run.schedule, stopAt: target };
  let it = iteration;
  while (run.step < target) {
    const before = run.step;
    await trainIteration(run, it++);
    if (run.step === before)
      throw new InputError(
        `The train split of ${run.config.data_paths[0]} gave no full batch of global_batch_size ${run.config.global_batch_size} examples: pass a smaller global_batch_size=….`,
      );
  }
  return it;
}
