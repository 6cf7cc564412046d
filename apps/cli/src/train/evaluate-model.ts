import { join } from 'node:path';
import type { BatchItem } from '@trm/datasets';
import { MetricAccumulator } from '@trm/evaluators';
import {
  type ActCarry,
  type HostBatch,
  haltsByQHead,
  IGNORE_LABEL,
  type StepResult,
  stepMetrics,
  TinyRecursiveModel,
  type TrmConfig,
} from '@trm/model';
import type { Collective } from '../parallel/collective.js';
import { type ScopedEvaluator, watchesSet } from './dataset-evaluators.js';
import type { PuzzleIdAblation } from './puzzle-ids.js';

/** Per-batch outputs that `eval_save_outputs` can name (spec §8). */
export const SAVABLE_OUTPUTS = [
  'inputs',
  'labels',
  'puzzle_identifiers',
  'preds',
  'logits',
  'q_halt_logits',
  'q_continue_logits',
  'steps',
] as const;
export type SavableOutput = (typeof SAVABLE_OUTPUTS)[number];

export interface EvaluationResult {
  /** `<set>/<metric>` (spec §6 reductions) plus evaluator metrics. */
  metrics: Record<string, number>;
  /** Per set: rows counted (for Wilson intervals). */
  counts: Record<string, number>;
  /** Collected outputs, concatenated over batches (real rows only). */
  outputs: Map<SavableOutput, { data: Int32Array | Float32Array; shape: number[] }>;
  /**
   * With `perStep`: for each supervision step s = 1..halt_max_steps (index s − 1), the
   * metrics as if every row had stopped at s — `<set>/accuracy`, `<set>/exact_accuracy` and,
   * with `actInference`, `<set>/halted`, the fraction of rows the Q head had halted by s.
   */
  perStep?: Record<string, number>[];
}

/**
 * Evaluates on every batch of `test` (a test dataset walks its test split; `trm eval
 * --one-batch` passes one batch drawn as in training) as the reference's `evaluate()`: a fresh
 * carry per batch, the ACT wrapper looped until every row has halted (exactly
 * `halt_max_steps` steps in eval mode), metrics summed per set and divided by the set's count
 * of scored rows (the losses too), and `(batch, outputs)` fed to every evaluator that watches
 * the batch's set.
 *
 * `actInference` scores each row at the step its Q head halts it instead (see
 * {@link haltsByQHead}; `halt_max_steps` at the latest), `perStep` also scores every step as if
 * every row stopped there, and `puzzleIds` replaces the identifiers the model sees. All three
 * are bookkeeping on the host over what each `model.step` returns.
 */
export async function evaluateModel(
  model: TinyRecursiveModel,
  test: Iterable<BatchItem>,
  options: {
    /** Each is given the batches of the sets it watches (every set unless scoped). */
    evaluators: readonly ScopedEvaluator[];
    globalBatchSize: number;
    save?: readonly SavableOutput[];
    saveDir?: string;
    onBatch?: (done: number) => void;
    /**
     * Data-parallel evaluation: this rank runs its slice of every test batch and sends its
     * outputs to rank 0, which scores the reassembled global batch exactly as one device
     * would. Only rank 0's result holds metrics and outputs.
     */
    comm?: Collective;
    /**
     * Halt each row when its Q head says so, as training does without exploration, and count
     * it with its predictions at that step (the losses, device sums over every row at one
     * step, are then left out). The batch stops early once every real row has halted.
     */
    actInference?: boolean;
    /** Score every supervision step as if every row had stopped there (see `perStep`). */
    perStep?: boolean;
    /**
     * What the model sees in place of each example's puzzle identifier. Evaluators still get
     * the real identifiers; the saved `puzzle_identifiers` are those the model saw.
     */
    puzzleIds?: PuzzleIdAblation;
  },
): Promise<EvaluationResult> {
  const comm = options.comm;
  const isRoot = (comm?.rank ?? 0) === 0;
  const wasTraining = model.training;
  model.eval();
  // Every metric, the losses too, is a sum over the set divided by its count of scored rows,
  // as in the reference's evaluate() (training divides its losses by the batch instead).
  const acc = new MetricAccumulator({
    globalBatchSize: options.globalBatchSize,
    lossDenominator: 'count',
  });
  const seqLen = model.config.seq_len;
  const vocab = model.config.vocab_size;
  const wantLogits = options.save?.includes('logits') ?? false;
  // The transformer baseline's act_inference asks for the same: rows halt by their Q head and
  // keep their outputs from then on (the reference restarts halted rows on the same batch).
  const act = (options.actInference ?? false) || model.config.act_inference;
  const perStep = options.perStep ?? false;
  const rank = comm?.rank ?? 0;
  const chunks = new Map<SavableOutput, (Int32Array | Float32Array)[]>();
  const perStepAcc: MetricAccumulator[] = [];
  for (const ev of options.evaluators) ev.begin();
  let batches = 0;
  /** Evaluated examples in the global batches so far (where the puzzle-id ablation is). */
  let before = 0;
  try {
    for (const item of test) {
      const { setName, effectiveBatchSize } = item;
      let batch: HostBatch = item.batch;
      const rows = batch.puzzleIdentifiers.length;
      const modelBatch: HostBatch = options.puzzleIds
        ? {
            ...batch,
            puzzleIdentifiers: options.puzzleIds.apply(batch.puzzleIdentifiers, {
              before,
              effective: effectiveBatchSize,
              offset: rank * rows,
            }),
          }
        : batch;
      before += effectiveBatchSize;
      const realRows = Math.max(0, Math.min(rows, effectiveBatchSize - rank * rows));
      const run = await runBatch(model, modelBatch, { wantLogits, act, perStep, realRows });
      let last = run.last;
      let correct = run.correct;
      /** The identifiers the model saw, when they are not the batch's. */
      let modelIds = options.puzzleIds ? modelBatch.puzzleIdentifiers : undefined;
      if (comm) {
        const global = await gatherOutcome(comm, batch, last, seqLen, vocab, {
          ...(modelIds ? { modelIds } : {}),
          ...(correct ? { correct } : {}),
        });
        if (!global) {
          batches++;
          continue;
        }
        ({ batch, last } = global);
        modelIds = global.modelIds;
        correct = global.correct;
      }
      const B = batch.puzzleIdentifiers.length;
      const { metrics } = last;
      acc.add(setName, {
        count: metrics.count,
        accuracy: metrics.accuracy,
        exact_accuracy: metrics.exact_accuracy,
        q_halt_accuracy: metrics.q_halt_accuracy,
        steps: metrics.steps,
        // Under --act-inference rows stop at different steps; the losses are sums over every
        // row at one step, so they would describe other predictions than the ones scored.
        ...(act ? {} : { lm_loss: metrics.lm_loss, q_halt_loss: metrics.q_halt_loss }),
      });
      if (correct) {
        const counted = labelCounts(batch.labels, seqLen);
        correct.forEach((c, s) => {
          if (!perStepAcc[s])
            perStepAcc[s] = new MetricAccumulator({ globalBatchSize: options.globalBatchSize });
          perStepAcc[s].add(setName, stepSums(c, counted, act ? { at: s + 1, last } : undefined));
        });
      }
      const evalBatch = { ...batch, batchSize: B, seqLen };
      const outputs = {
        preds: last.preds,
        qHaltLogits: last.qHalt,
        qContinueLogits: last.qContinue,
      };
      for (const ev of options.evaluators)
        if (watchesSet(ev, setName)) ev.update(evalBatch, outputs);
      const real = Math.min(effectiveBatchSize, B);
      const add = (key: SavableOutput, data: Int32Array | Float32Array, width: number) => {
        if (!options.save?.includes(key)) return;
        const list = chunks.get(key) ?? [];
        list.push(data.slice(0, real * width));
        chunks.set(key, list);
      };
      add('inputs', batch.inputs, seqLen);
      add('labels', batch.labels, seqLen);
      add('puzzle_identifiers', modelIds ?? batch.puzzleIdentifiers, 1);
      add('preds', last.preds, seqLen);
      if (last.logits) add('logits', last.logits, seqLen * vocab);
      add('q_halt_logits', last.qHalt, 1);
      add('q_continue_logits', last.qContinue, 1);
      add('steps', last.steps, 1);
      batches++;
      options.onBatch?.(batches);
    }
  } finally {
    model.train(wasTraining);
  }
  if (!isRoot) return { metrics: {}, counts: {}, outputs: new Map() };
  const metrics: Record<string, number> = acc.flat();
  const counts: Record<string, number> = {};
  for (const set of acc.sets()) counts[set] = acc.count(set);
  for (const ev of options.evaluators) {
    const saveDir = options.saveDir ? join(options.saveDir, `evaluator_${ev.name}`) : undefined;
    Object.assign(metrics, ev.result(saveDir));
  }
  const outputs: EvaluationResult['outputs'] = new Map();
  for (const [key, list] of chunks) {
    const total = list.reduce((n, a) => n + a.length, 0);
    const isFloat = list[0] instanceof Float32Array;
    const data = isFloat ? new Float32Array(total) : new Int32Array(total);
    let at = 0;
    for (const a of list) {
      data.set(a, at);
      at += a.length;
    }
    const shape =
      key === 'logits'
        ? [total / (seqLen * vocab), seqLen, vocab]
        : key === 'inputs' || key === 'labels' || key === 'preds'
          ? [total / seqLen, seqLen]
          : [total];
    outputs.set(key, { data, shape });
  }
  return {
    metrics,
    counts,
    outputs,
    ...(perStep ? { perStep: perStepAcc.map((a) => a.flat()) } : {}),
  };
}

/** A batch's predictions once every row has halted. */
export interface BatchPredictions {
  /** Predicted tokens, rows × seq_len. */
  preds: Int32Array;
  /** Each row's Q-halt logit at its last step. */
  qHalt: Float32Array;
  /** Each row's Q-continue logit at its last step. */
  qContinue: Float32Array;
}

/**
 * Runs one batch from a fresh carry until every row has halted, exactly as evaluation does
 * (`halt_max_steps` steps in eval mode), and returns its predictions. Call `model.eval()`
 * first.
 */
export async function predictToHalting(
  model: TinyRecursiveModel,
  batch: HostBatch,
): Promise<BatchPredictions> {
  const rows = batch.puzzleIdentifiers.length;
  const { last } = await runBatch(model, batch, {
    wantLogits: false,
    act: false,
    perStep: false,
    realRows: rows,
  });
  return { preds: last.preds, qHalt: last.qHalt, qContinue: last.qContinue };
}

/** What one batch's steps leave: the outcome that is scored and, with `perStep`, per step. */
interface BatchRun {
  last: BatchOutcome;
  /** With `perStep`: per step (index s − 1), each row's number of right answer tokens. */
  correct?: Int32Array[];
}

/**
 * Runs one batch from a fresh carry until every row has halted (`halt_max_steps` steps in eval
 * mode) and returns what is scored: the last step's outcome or, with `act`, each row's outcome
 * at the step its Q head halted it. Without `perStep`, an `act` batch stops as soon as its
 * `realRows` first rows (the rest is padding) have halted.
 */
async function runBatch(
  model: TinyRecursiveModel,
  batch: HostBatch,
  options: { wantLogits: boolean; act: boolean; perStep: boolean; realRows: number },
): Promise<BatchRun> {
  const { wantLogits, act, perStep } = options;
  const seqLen = model.config.seq_len;
  const rows = batch.puzzleIdentifiers.length;
  let carry: ActCarry = model.initialCarry(rows);
  let step: StepResult | undefined;
  const correct: Int32Array[] = [];
  const chosen = act ? new HaltChoice(model.config, rows, wantLogits) : undefined;
  let at = 0;
  for (;;) {
    step?.logits?.dispose();
    // Compiled: traced once per batch shape, then replayed (TRM_COMPILE=0 runs it eagerly).
    step = await model.step(carry, batch, { compile: true, keepLogits: wantLogits });
    carry = step.carry;
    at++;
    if (perStep) correct.push(correctCounts(step.preds, batch.labels, seqLen));
    if (chosen) await chosen.observe(step, at);
    if (step.allHalted) break;
    if (chosen && !perStep && chosen.settled(options.realRows)) break;
  }
  TinyRecursiveModel.disposeCarry(carry);
  let last: BatchOutcome;
  if (chosen) {
    last = await chosen.finish(step, at, batch.labels);
    step.logits?.dispose();
  } else {
    let logits: Float32Array | undefined;
    if (step.logits) {
      logits = (await step.logits.data()) as Float32Array;
      step.logits.dispose();
    }
    last = {
      metrics: step.metrics,
      preds: step.preds,
      qHalt: step.qHalt,
      qContinue: step.qContinue,
      steps: carry.steps,
      ...(logits ? { logits } : {}),
    };
  }
  return { last, ...(perStep ? { correct } : {}) };
}

/**
 * Each row's outcome at the step its Q head halted it (`--act-inference`): the first step
 * where {@link haltsByQHead} holds, or `halt_max_steps`. Evaluation mode runs every row on to
 * `halt_max_steps` regardless, and a row's later steps do not change its earlier ones, so
 * keeping each row's step is exactly what halting it there would have given.
 */
class HaltChoice {
  readonly steps: Int32Array;
  readonly preds: Int32Array;
  readonly qHalt: Float32Array;
  readonly qContinue: Float32Array;
  readonly logits: Float32Array | undefined;
  private readonly seqLen: number;
  private readonly vocab: number;

  constructor(
    private readonly config: TrmConfig,
    rows: number,
    wantLogits: boolean,
  ) {
    this.seqLen = config.seq_len;
    this.vocab = config.vocab_size;
    this.steps = new Int32Array(rows);
    this.preds = new Int32Array(rows * this.seqLen);
    this.qHalt = new Float32Array(rows);
    this.qContinue = new Float32Array(rows);
    this.logits = wantLogits ? new Float32Array(rows * this.seqLen * this.vocab) : undefined;
  }

  /** Records the rows that halt at step `at` (1-based). */
  async observe(step: StepResult, at: number): Promise<void> {
    const halting: number[] = [];
    for (let r = 0; r < this.steps.length; r++) {
      if (this.steps[r] !== 0) continue;
      if (
        at >= this.config.halt_max_steps ||
        haltsByQHead(this.config, step.qHalt[r]!, step.qContinue[r]!)
      )
        halting.push(r);
    }
    await this.take(step, at, halting);
  }

  /** Whether the first `rows` rows have all halted. */
  settled(rows: number): boolean {
    for (let r = 0; r < rows; r++) if (this.steps[r] === 0) return false;
    return true;
  }

  /**
   * The chosen outcome, with the rows that have not halted (padding, when the batch stopped
   * early) taken from the last step, `at`.
   */
  async finish(step: StepResult, at: number, labels: Int32Array): Promise<BatchOutcome> {
    const rest: number[] = [];
    for (let r = 0; r < this.steps.length; r++) if (this.steps[r] === 0) rest.push(r);
    await this.take(step, at, rest);
    const rows = this.steps.length;
    return {
      metrics: {
        ...stepMetrics({
          preds: this.preds,
          labels,
          halted: new Uint8Array(rows).fill(1),
          steps: this.steps,
          qHalt: this.qHalt,
          seqLen: this.seqLen,
        }),
        lm_loss: Number.NaN,
        q_halt_loss: Number.NaN,
      },
      preds: this.preds,
      qHalt: this.qHalt,
      qContinue: this.qContinue,
      steps: this.steps,
      ...(this.logits ? { logits: this.logits } : {}),
    };
  }

  private async take(step: StepResult, at: number, rows: readonly number[]): Promise<void> {
    if (rows.length === 0) return;
    const S = this.seqLen;
    const width = S * this.vocab;
    const logits =
      this.logits && step.logits ? ((await step.logits.data()) as Float32Array) : undefined;
    for (const r of rows) {
      this.steps[r] = at;
      this.preds.set(step.preds.subarray(r * S, (r + 1) * S), r * S);
      this.qHalt[r] = step.qHalt[r]!;
      this.qContinue[r] = step.qContinue[r]!;
      if (logits) this.logits!.set(logits.subarray(r * width, (r + 1) * width), r * width);
    }
  }
}

/** Per row, the number of answer tokens (labels that are not ignored). */
function labelCounts(labels: Int32Array, seqLen: number): Int32Array {
  const rows = labels.length / seqLen;
  const out = new Int32Array(rows);
  for (let i = 0; i < labels.length; i++)
    if (labels[i] !== IGNORE_LABEL) out[(i / seqLen) | 0]! += 1;
  return out;
}

/** Per row, the number of answer tokens predicted right. */
function correctCounts(preds: Int32Array, labels: Int32Array, seqLen: number): Int32Array {
  const rows = labels.length / seqLen;
  const out = new Int32Array(rows);
  for (let i = 0; i < labels.length; i++)
    if (labels[i] !== IGNORE_LABEL && preds[i] === labels[i]) out[(i / seqLen) | 0]! += 1;
  return out;
}

/**
 * One step's sums as if every row stopped there, in the order and arithmetic of
 * `stepMetrics` (so the last step's equal those of a plain evaluation exactly); with `act`,
 * also how many rows the Q head had halted by step `at`.
 */
export function stepSums(
  correct: Int32Array,
  counted: Int32Array,
  act?: { at: number; last: { steps: Int32Array } },
): Record<string, number> {
  const m: Record<string, number> = { count: 0, accuracy: 0, exact_accuracy: 0 };
  if (act) m.halted = 0;
  for (let r = 0; r < counted.length; r++) {
    const n = counted[r]!;
    if (n === 0) continue;
    const c = correct[r]!;
    m.count! += 1;
    m.accuracy! += c / n;
    m.exact_accuracy! += c === n ? 1 : 0;
    if (act) m.halted! += act.last.steps[r]! <= act.at ? 1 : 0;
  }
  return m;
}

/** What evaluation keeps of a batch once every row has halted. */
interface BatchOutcome {
  metrics: Awaited<ReturnType<TinyRecursiveModel['step']>>['metrics'];
  preds: Int32Array;
  qHalt: Float32Array;
  qContinue: Float32Array;
  steps: Int32Array;
  /** Final-step logits, rows × seq_len × vocab (only when `logits` is saved). */
  logits?: Float32Array;
}

/**
 * Sends this rank's batch and outputs to rank 0 and, there, rebuilds the global batch in rank
 * order with its metrics recomputed over all rows (the same sums, in the same order, as one
 * device); the losses are sums of the ranks' sums. `extra` (the identifiers the model saw,
 * the per-step counts) is gathered the same way; every rank must pass the same kinds. Returns
 * null on the other ranks.
 */
async function gatherOutcome(
  comm: Collective,
  batch: HostBatch,
  out: BatchOutcome,
  seqLen: number,
  vocab: number,
  extra: { modelIds?: Int32Array; correct?: Int32Array[] } = {},
): Promise<{
  batch: HostBatch;
  last: BatchOutcome;
  modelIds?: Int32Array;
  correct?: Int32Array[];
} | null> {
  const rows = batch.puzzleIdentifiers.length;
  const ints = new Int32Array(rows * (3 * seqLen + 2));
  ints.set(batch.inputs, 0);
  ints.set(batch.labels, rows * seqLen);
  ints.set(out.preds, 2 * rows * seqLen);
  ints.set(batch.puzzleIdentifiers, 3 * rows * seqLen);
  ints.set(out.steps, 3 * rows * seqLen + rows);
  const floats = new Float32Array(2 * rows);
  floats.set(out.qHalt, 0);
  floats.set(out.qContinue, rows);
  const losses = Float64Array.of(out.metrics.lm_loss, out.metrics.q_halt_loss);
  const allInts = await comm.gather(ints);
  const allFloats = await comm.gather(floats);
  const lossSums = await comm.allReduceSum(losses);
  // Every rank takes part in the same collectives, logits or not.
  const allLogits = out.logits ? await comm.gather(out.logits) : null;
  const extras = [...(extra.modelIds ? [extra.modelIds] : []), ...(extra.correct ?? [])];
  const allExtras = extras.length > 0 ? await comm.gather(concatInts(extras)) : null;
  if (!allInts || !allFloats) return null;
  const world = comm.worldSize;
  const total = rows * world;
  const part = (src: Int32Array | Float32Array, per: number, offset: number, width: number) => {
    const dst =
      src instanceof Int32Array ? new Int32Array(total * width) : new Float32Array(total * width);
    for (let r = 0; r < world; r++) {
      const from = r * per + offset;
      dst.set(src.subarray(from, from + rows * width), r * rows * width);
    }
    return dst;
  };
  const perInt = ints.length;
  const perFloat = floats.length;
  const global: HostBatch = {
    inputs: part(allInts, perInt, 0, seqLen) as Int32Array,
    labels: part(allInts, perInt, rows * seqLen, seqLen) as Int32Array,
    puzzleIdentifiers: part(allInts, perInt, 3 * rows * seqLen, 1) as Int32Array,
  };
  const preds = part(allInts, perInt, 2 * rows * seqLen, seqLen) as Int32Array;
  const steps = part(allInts, perInt, 3 * rows * seqLen + rows, 1) as Int32Array;
  const qHalt = part(allFloats, perFloat, 0, 1) as Float32Array;
  const qContinue = part(allFloats, perFloat, rows, 1) as Float32Array;
  const metrics = {
    // Every row has halted: at halt_max_steps, or (--act-inference) where its Q head said so.
    ...stepMetrics({
      preds,
      labels: global.labels,
      halted: new Uint8Array(total).fill(1),
      steps,
      qHalt,
      seqLen,
    }),
    lm_loss: lossSums[0]!,
    q_halt_loss: lossSums[1]!,
  };
  const logits = allLogits
    ? (part(allLogits, rows * seqLen * vocab, 0, seqLen * vocab) as Float32Array)
    : undefined;
  // The extras: `rows` values per kind and rank, in the order they were concatenated.
  const perExtra = extras.length * rows;
  const extraPart = (k: number) => part(allExtras!, perExtra, k * rows, 1) as Int32Array;
  const idsFirst = extra.modelIds ? 1 : 0;
  return {
    batch: global,
    last: { metrics, preds, qHalt, qContinue, steps, ...(logits ? { logits } : {}) },
    ...(extra.modelIds ? { modelIds: extraPart(0) } : {}),
    ...(extra.correct ? { correct: extra.correct.map((_, s) => extraPart(idsFirst + s)) } : {}),
  };
}

function concatInts(parts: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
