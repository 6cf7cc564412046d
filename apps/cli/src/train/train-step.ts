import type { Rng } from '@trm/datasets';
import {
  type ActCarry,
  drawExploration,
  type ExplorationDraws,
  type HostBatch,
  type StepResult,
} from '@trm/model';
import { CliError } from '../errors.js';
import type { Collective } from '../parallel/collective.js';
import {
  denseUpdate,
  type Optimizers,
  scheduleDense,
  shownLr,
  stepOptimizers,
  stepSparse,
  unscaleGradients,
} from './optimizers.js';
import type { TrainRun } from './train-run.js';

/** What one training step produced. */
export interface StepOutcome {
  /** The ACT carry for the next batch. */
  carry: ActCarry;
  /** The step's `train/*` metrics, as logged. */
  metrics: Record<string, number>;
  /** The learning rate of the step. */
  lr: number;
}

/**
 * One training step, the reference's `train_batch`: the ACT step forward and backward on this
 * rank's rows of the batch, metrics and dense gradients summed over ranks, one optimiser step
 * (skipped when a model in f16 overflowed its scaled gradients), gradients cleared. `run.step`
 * is the number of this step (counted from 1). Throws when the loss is no longer finite.
 */
export async function trainStep(
  run: TrainRun,
  carry: ActCarry,
  batch: HostBatch,
  exploration: ExplorationDraws | undefined,
): Promise<StepOutcome> {
  const { config, device, model, optimizers, step } = run;
  const { comm, sync, globalBatch: gbs } = run.topology;
  const { params, scaler } = optimizers;
  const scale = scaler?.scale ?? 1;
  const stepOptions = {
    backward: true,
    lossScale: scale / gbs,
    ...(exploration ? { exploration } : {}),
  };
  let m: StepSums;
  let r: StepResult;
  let lr: number;
  let finite = true;
  if (!sync && !scaler) {
    // Nothing reads the host between the backward and the update: the whole device part of
    // the step, optimisers included, is one compiled function (see the execution model docs).
    scheduleDense(optimizers, step);
    r = await model.step(carry, batch, {
      ...stepOptions,
      compile: true,
      update: updateOf(optimizers, model),
    });
    m = { ...r.metrics, loss: r.loss };
    noteFallback(run);
    await stepSparse(device, optimizers, step, comm);
    lr = shownLr(optimizers, step);
  } else {
    // Every step trains something: the weights, the puzzle embeddings or both.
    r = await model.step(carry, batch, stepOptions);
    m = sync ? await sumOverRanks(comm!, r) : { ...r.metrics, loss: r.loss };
    if (sync) {
      await sync.allReduceGradients(params.map(([, p]) => p));
      run.allReduce.totalMs += sync.last.totalMs;
      run.allReduce.reduceMs += sync.last.reduceMs;
      run.allReduce.steps += 1;
    }
    // In f16 a step whose scaled gradients overflowed is skipped (the scale is halved).
    finite = scaler ? await unscaleGradients(optimizers, scaler, comm) : true;
    lr = finite ? await stepOptimizers(device, optimizers, step, comm) : optimizers.lrAt(step);
    model.zeroGrad();
  }
  const metrics = trainMetrics(m, gbs, lr);
  if (scaler) {
    metrics['train/loss_scale'] = scale;
    if (!finite) metrics['train/skipped_step'] = 1;
  }
  if (sync) metrics['train/allreduce_ms'] = sync.last.totalMs;
  if (!Number.isFinite(m.loss)) {
    throw new CliError(
      `Training diverged at step ${step}: the loss is ${m.loss}. Lower lr (now ${config.lr}) or check the data.`,
      { exitCode: 1 },
    );
  }
  return { carry: r.carry, metrics, lr };
}

const noted = new WeakSet<TrainRun['model']>();

/** Says once per model why its compiled step runs eagerly, when it does (speed, not results). */
function noteFallback(run: TrainRun): void {
  const reason = run.model.compileReport()?.fallbackReason;
  if (!reason || noted.has(run.model)) return;
  noted.add(run.model);
  run.output.note(`note: the training step runs eagerly (not compiled): ${reason}.`);
}

/**
 * The update function of each run's optimisers, one while they stay the same: a compiled step
 * keys on its identity, so another set of optimisers (or an EMA made since) is traced apart.
 */
const updates = new WeakMap<Optimizers, { adam: unknown; ema: unknown; update: () => void }>();

function updateOf(optimizers: Optimizers, model: TrainRun['model']): () => void {
  const { adam, ema } = optimizers;
  const cached = updates.get(optimizers);
  if (cached && cached.adam === adam && cached.ema === ema) return cached.update;
  const update = denseUpdate(optimizers, model);
  updates.set(optimizers, { adam, ema, update });
  return update;
}

/**
 * This rank's rows of the next step's exploration draws, or undefined when the model does not
 * explore. The draws are made for the whole global batch, so every rank halts exactly as one
 * device running the global batch would.
 */
export function explorationDraws(run: TrainRun, rng: Rng): ExplorationDraws | undefined {
  if (!run.explores) return undefined;
  const { globalBatch, localBatch, rank } = run.topology;
  return sliceDraws(
    drawExploration(run.model.config, globalBatch, () => rng.nextFloat()),
    rank * localBatch,
    localBatch,
  );
}

/** A step's metric sums and loss. */
type StepSums = StepResult['metrics'] & { loss: number };

/**
 * The `train/*` metrics of a step. Accuracies are over the rows that halted: a step where none
 * did has none (logged as absent, so charts show a gap rather than a drop to zero).
 */
function trainMetrics(m: StepSums, gbs: number, lr: number): Record<string, number> {
  const perRow = (v: number) => (m.count > 0 ? { v: v / m.count } : null);
  const metrics: Record<string, number> = { 'train/count': m.count };
  for (const [key, v] of [
    ['train/accuracy', m.accuracy],
    ['train/exact_accuracy', m.exact_accuracy],
    ['train/q_halt_accuracy', m.q_halt_accuracy],
    ['train/steps', m.steps],
  ] as const) {
    const r = perRow(v);
    if (r) metrics[key] = r.v;
  }
  Object.assign(metrics, {
    'train/lm_loss': m.lm_loss / gbs,
    'train/q_halt_loss': m.q_halt_loss / gbs,
    'train/lr': lr,
  });
  if (m.q_continue_loss !== undefined) metrics['train/q_continue_loss'] = m.q_continue_loss / gbs;
  return metrics;
}

/** Rows `[start, start + rows)` of a step's exploration draws. */
function sliceDraws(draws: ExplorationDraws, start: number, rows: number): ExplorationDraws {
  return {
    explore: draws.explore.slice(start, start + rows),
    minHalt: draws.minHalt.slice(start, start + rows),
  };
}

/** The step's metric sums and loss, summed over all ranks. */
async function sumOverRanks(
  comm: Collective,
  r: { loss: number; metrics: StepResult['metrics'] },
): Promise<StepSums> {
  const m = r.metrics;
  const hasContinue = m.q_continue_loss !== undefined;
  const v = await comm.allReduceSum(
    Float64Array.of(
      m.count,
      m.accuracy,
      m.exact_accuracy,
      m.q_halt_accuracy,
      m.steps,
      m.lm_loss,
      m.q_halt_loss,
      m.q_continue_loss ?? 0,
      r.loss,
    ),
  );
  return {
    count: v[0]!,
    accuracy: v[1]!,
    exact_accuracy: v[2]!,
    q_halt_accuracy: v[3]!,
    steps: v[4]!,
    lm_loss: v[5]!,
    q_halt_loss: v[6]!,
    ...(hasContinue ? { q_continue_loss: v[7]! } : {}),
    loss: v[8]!,
  };
}
