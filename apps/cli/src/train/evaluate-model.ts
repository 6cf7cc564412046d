import { join } from 'node:path';
import type { PuzzleDataset } from '@trm/datasets';
import { type Evaluator, MetricAccumulator } from '@trm/evaluators';
import { type ActCarry, type HostBatch, stepMetrics, TinyRecursiveModel } from '@trm/model';
import type { Collective } from '../parallel/collective.js';

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
}

/**
 * Evaluates on every test batch (spec §8): a fresh carry per batch, the ACT wrapper looped
 * until every row has halted (exactly `halt_max_steps` steps in eval mode), metrics summed per
 * set, and `(batch, outputs)` fed to every evaluator.
 */
export async function evaluateModel(
  model: TinyRecursiveModel,
  test: PuzzleDataset,
  options: {
    evaluators: readonly Evaluator[];
    globalBatchSize: number;
    save?: readonly SavableOutput[];
    maxBatches?: number;
    saveDir?: string;
    onBatch?: (done: number) => void;
    /**
     * Data-parallel evaluation: this rank runs its slice of every test batch and sends its
     * outputs to rank 0, which scores the reassembled global batch exactly as one device
     * would. Only rank 0's result holds metrics and outputs.
     */
    comm?: Collective;
  },
): Promise<EvaluationResult> {
  const comm = options.comm;
  const isRoot = (comm?.rank ?? 0) === 0;
  const wasTraining = model.training;
  model.eval();
  const acc = new MetricAccumulator({ globalBatchSize: options.globalBatchSize });
  const seqLen = model.config.seq_len;
  const vocab = model.config.vocab_size;
  const wantLogits = options.save?.includes('logits') ?? false;
  const chunks = new Map<SavableOutput, (Int32Array | Float32Array)[]>();
  for (const ev of options.evaluators) ev.begin();
  let batches = 0;
  try {
    for (const item of test.iterTest()) {
      const { setName, effectiveBatchSize } = item;
      let batch: HostBatch = item.batch;
      let carry: ActCarry = model.initialCarry(batch.puzzleIdentifiers.length);
      let step: Awaited<ReturnType<TinyRecursiveModel['step']>> | undefined;
      for (;;) {
        step?.logits?.dispose();
        step = await model.step(carry, batch, wantLogits ? { keepLogits: true } : {});
        carry = step.carry;
        if (step.allHalted) break;
      }
      TinyRecursiveModel.disposeCarry(carry);
      let logits: Float32Array | undefined;
      if (step.logits) {
        logits = (await step.logits.data()) as Float32Array;
        step.logits.dispose();
      }
      let last: BatchOutcome = {
        metrics: step.metrics,
        preds: step.preds,
        qHalt: step.qHalt,
        qContinue: step.qContinue,
        steps: carry.steps,
        ...(logits ? { logits } : {}),
      };
      if (comm) {
        const global = await gatherOutcome(comm, batch, last, seqLen, vocab);
        if (!global) {
          batches++;
          if (options.maxBatches !== undefined && batches >= options.maxBatches) break;
          continue;
        }
        ({ batch, last } = global);
      }
      const B = batch.puzzleIdentifiers.length;
      const { metrics } = last;
      acc.add(setName, {
        count: metrics.count,
        accuracy: metrics.accuracy,
        exact_accuracy: metrics.exact_accuracy,
        q_halt_accuracy: metrics.q_halt_accuracy,
        steps: metrics.steps,
        lm_loss: metrics.lm_loss,
        q_halt_loss: metrics.q_halt_loss,
      });
      const evalBatch = { ...batch, batchSize: B, seqLen };
      const outputs = {
        preds: last.preds,
        qHaltLogits: last.qHalt,
        qContinueLogits: last.qContinue,
      };
      for (const ev of options.evaluators) ev.update(evalBatch, outputs);
      const real = Math.min(effectiveBatchSize, B);
      const add = (key: SavableOutput, data: Int32Array | Float32Array, width: number) => {
        if (!options.save?.includes(key)) return;
        const list = chunks.get(key) ?? [];
        list.push(data.slice(0, real * width));
        chunks.set(key, list);
      };
      add('inputs', batch.inputs, seqLen);
      add('labels', batch.labels, seqLen);
      add('puzzle_identifiers', batch.puzzleIdentifiers, 1);
      add('preds', last.preds, seqLen);
      if (last.logits) add('logits', last.logits, seqLen * vocab);
      add('q_halt_logits', last.qHalt, 1);
      add('q_continue_logits', last.qContinue, 1);
      add('steps', last.steps, 1);
      batches++;
      options.onBatch?.(batches);
      if (options.maxBatches !== undefined && batches >= options.maxBatches) break;
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
  return { metrics, counts, outputs };
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
 * device); the losses are sums of the ranks' sums. Returns null on the other ranks.
 */
async function gatherOutcome(
  comm: Collective,
  batch: HostBatch,
  out: BatchOutcome,
  seqLen: number,
  vocab: number,
): Promise<{ batch: HostBatch; last: BatchOutcome } | null> {
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
    // Evaluation always runs every row to halt_max_steps, so every row has halted.
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
  return {
    batch: global,
    last: { metrics, preds, qHalt, qContinue, steps, ...(logits ? { logits } : {}) },
  };
}
