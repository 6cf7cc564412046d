import type { TinyRecursiveModel } from '@trm/model';
import { AdamATan2, cosineWithWarmup, Ema, GradScaler, SparseSignSGD } from '@trm/optim';
import { type Device, tensor } from '@trm/tensor';
import type { TrainConfig } from '../config/schema.js';
import type { Collective } from '../parallel/collective.js';

/** The optimisers of a run, their learning-rate schedules and the EMA shadow. */
export type Optimizers = ReturnType<typeof createOptimizers>;

/**
 * The optimisers of spec §7 (the reference's `create_model`): AdamATan2 on every trainable
 * parameter, sign-SGD on the puzzle-embedding table, each with its cosine schedule over
 * `totalSteps`; and, for a model computing in f16, the dynamic loss scaler. The EMA shadow,
 * when `config.ema` asks for one, is made later by {@link createEma}, from the weights the run
 * actually starts with. `firstPuzzleRow`: the sign-SGD leaves the table's rows below it alone
 * (`trm adapt` trains only the rows it appended).
 */
export function createOptimizers(
  model: TinyRecursiveModel,
  config: TrainConfig,
  totalSteps: number,
  options: { firstPuzzleRow?: number } = {},
) {
  const params = model.namedParameters();
  const puzzleEmb = model.inner.puzzleEmb;
  const adam = trainsWeights(model, config)
    ? new AdamATan2(params, {
        beta1: config.beta1,
        beta2: config.beta2,
        weightDecay: config.weight_decay,
      })
    : null;
  const signSgd = puzzleEmb
    ? new SparseSignSGD(puzzleEmb.weights, {
        weightDecay: config.puzzle_emb_weight_decay,
        firstRow: options.firstPuzzleRow ?? 0,
      })
    : null;
  const lrAt = cosineWithWarmup({
    base: config.lr,
    warmupSteps: config.lr_warmup_steps,
    totalSteps,
    minRatio: config.lr_min_ratio,
  });
  const puzzleLrAt = cosineWithWarmup({
    base: config.puzzle_emb_lr,
    warmupSteps: config.lr_warmup_steps,
    totalSteps,
    minRatio: config.lr_min_ratio,
  });
  // A model computing in f16 scales its loss so that small gradients survive f16, as
  // torch.cuda.amp.GradScaler does for PyTorch's mixed precision.
  const scaler = model.precision === 'f16' ? new GradScaler() : null;
  return { params, adam, puzzleEmb, signSgd, lrAt, puzzleLrAt, scaler, ema: null as Ema | null };
}

/**
 * Whether AdamATan2 trains the weights: unless `freeze_weights` leaves only the puzzle
 * embeddings to train. A model without puzzle embeddings (`arch.puzzle_emb_ndim=0`) has none,
 * and then, as in the reference, `freeze_weights` is ignored and every weight trains.
 */
export function trainsWeights(model: TinyRecursiveModel, config: TrainConfig): boolean {
  return !config.freeze_weights || model.inner.puzzleEmb === null;
}

/** The EMA shadow of the current weights (`config.ema`, decay `config.ema_rate`). */
export function createEma(optimizers: Optimizers, config: TrainConfig): Ema {
  return new Ema(optimizers.params, config.ema_rate);
}

/**
 * One optimiser step on gradients already summed over ranks: AdamATan2 at the scheduled
 * learning rate, sign-SGD on the puzzle-embedding rows of the batch (of every rank's batch in
 * a data-parallel run, spec §7), then the EMA update. Returns the learning rate used: AdamATan2's,
 * or the puzzle table's when the weights are frozen.
 */
export async function stepOptimizers(
  device: Device,
  optimizers: Optimizers,
  step: number,
  comm: Collective | undefined,
): Promise<number> {
  optimizers.adam?.step(optimizers.lrAt(step));
  await stepSparse(device, optimizers, step, comm);
  optimizers.ema?.update();
  return shownLr(optimizers, step);
}

/**
 * The dense part of an optimiser step as device work for a compiled training step (run after
 * the backward, inside it): AdamATan2 at the rate {@link scheduleDense} set, the EMA update and
 * clearing the gradients. The same function every step, as a compiled step needs: what changes
 * from step to step is read from the optimisers' state.
 */
export function denseUpdate(optimizers: Optimizers, model: TinyRecursiveModel): () => void {
  return () => {
    optimizers.adam?.apply();
    optimizers.ema?.update();
    model.zeroGrad();
  };
}

/** Sets AdamATan2's rate and step count for the {@link denseUpdate} of step `step`. */
export function scheduleDense(optimizers: Optimizers, step: number): void {
  optimizers.adam?.schedule(optimizers.lrAt(step));
}

/**
 * Sign-SGD on the puzzle-embedding rows the batch used (every rank's rows in a data-parallel
 * run): after the step, on the host-grouped ids, so never part of a compiled step.
 */
export async function stepSparse(
  device: Device,
  optimizers: Optimizers,
  step: number,
  comm: Collective | undefined,
): Promise<void> {
  const { puzzleEmb, signSgd, puzzleLrAt } = optimizers;
  const sparse = signSgd ? puzzleEmb?.sparseGrad() : null;
  if (!signSgd || !sparse) return;
  if (comm) {
    // The sparse step sees the ids and gradient rows of every rank.
    const ids = await comm.allGather(sparse.ids);
    const local = (await sparse.rows.data()) as Float32Array;
    const rows = tensor(await comm.allGather(local), {
      shape: [ids.length, sparse.rows.shape[1]!],
      device,
    });
    signSgd.step({ ids, rows }, puzzleLrAt(step));
    rows.dispose();
  } else {
    signSgd.step(sparse, puzzleLrAt(step));
  }
}

/** The learning rate a step shows: AdamATan2's, or the puzzle table's when the weights are frozen. */
export function shownLr(optimizers: Optimizers, step: number): number {
  const { adam, signSgd, lrAt, puzzleLrAt } = optimizers;
  return adam || !signSgd ? lrAt(step) : puzzleLrAt(step);
}

/**
 * For a model computing in f16: divides the gradients (scaled by `scaler.scale` through the
 * loss) back in place and tells whether they are all finite — on every rank, in a
 * data-parallel run — then moves the scale (halved after an overflow). An overflowed step must
 * be skipped.
 */
export async function unscaleGradients(
  optimizers: Optimizers,
  scaler: GradScaler,
  comm: Collective | undefined,
): Promise<boolean> {
  const grads = optimizers.params.map(([, p]) => p.grad);
  const sparse = optimizers.puzzleEmb?.sparseGrad();
  let finite = await scaler.unscale([...grads, sparse?.rows]);
  // Each rank saw its own puzzle-embedding rows: all skip if any overflowed.
  if (comm) finite = (await comm.allReduceSum(Float64Array.of(finite ? 0 : 1)))[0] === 0;
  scaler.update(finite);
  return finite;
}

/** Trained weights by parameter name, kept on the host while the EMA weights stand in. */
export type TrainedWeights = Record<string, Float32Array>;

/**
 * Swaps the EMA weights into the model for evaluation and checkpointing (spec §7) and returns
 * the trained weights, to put back with {@link restoreTrainedWeights}; null without EMA.
 */
export async function swapInEma(optimizers: Optimizers): Promise<TrainedWeights | null> {
  const { params, ema } = optimizers;
  if (!ema) return null;
  const rawWeights: TrainedWeights = {};
  for (const [name, p] of params) rawWeights[name] = (await p.data()) as Float32Array;
  ema.copyTo(params);
  return rawWeights;
}

/** Puts the trained weights saved by {@link swapInEma} back into the model. */
export function restoreTrainedWeights(optimizers: Optimizers, rawWeights: TrainedWeights): void {
  for (const [name, p] of optimizers.params) p.assign(rawWeights[name]!);
}
