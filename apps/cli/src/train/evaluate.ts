import { join } from 'node:path';
import type { PuzzleDataset } from '@trm/datasets';
import { type Evaluator, MetricAccumulator } from '@trm/evaluators';
import { type ActCarry, TinyRecursiveModel } from '@trm/model';

/** Per-batch outputs that `eval_save_outputs` can name (spec §8). */
export const SAVABLE_OUTPUTS = [
  'inputs',
  'labels',
  'puzzle_identifiers',
  'preds',
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
  },
): Promise<EvaluationResult> {
  const wasTraining = model.training;
  model.eval();
  const acc = new MetricAccumulator({ globalBatchSize: options.globalBatchSize });
  const seqLen = model.config.seq_len;
  const chunks = new Map<SavableOutput, (Int32Array | Float32Array)[]>();
  for (const ev of options.evaluators) ev.begin();
  let batches = 0;
  try {
    for (const { setName, batch, effectiveBatchSize } of test.iterTest()) {
      const B = batch.puzzleIdentifiers.length;
      let carry: ActCarry = model.initialCarry(B);
      let last: Awaited<ReturnType<TinyRecursiveModel['step']>> | undefined;
      for (;;) {
        last = await model.step(carry, batch);
        carry = last.carry;
        if (last.allHalted) break;
      }
      TinyRecursiveModel.disposeCarry(carry);
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
      add('q_halt_logits', last.qHalt, 1);
      add('q_continue_logits', last.qContinue, 1);
      add('steps', carry.steps, 1);
      batches++;
      options.onBatch?.(batches);
      if (options.maxBatches !== undefined && batches >= options.maxBatches) break;
    }
  } finally {
    model.train(wasTraining);
  }
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
    const width = key === 'inputs' || key === 'labels' || key === 'preds' ? seqLen : 1;
    outputs.set(key, { data, shape: width === 1 ? [total] : [total / width, width] });
  }
  return { metrics, counts, outputs };
}
