import { IGNORE_LABEL_ID } from './interface.js';

/** Host-side inputs of {@link computeBatchMetrics}: what §6 needs, without the logits. */
export interface BatchMetricInputs {
  /** Arg-max predictions, `[B, seqLen]` flattened. */
  preds: ArrayLike<number>;
  /** Labels from the carry's current data, `[B, seqLen]` flattened; -100 = ignored. */
  labels: ArrayLike<number>;
  /** Halting logits `q_halt`, `[B]`. */
  qHalt: ArrayLike<number>;
  /** Whether each row has halted, `[B]` (booleans or 0/1). */
  halted: ArrayLike<boolean | number>;
  /** Steps taken by each row, `[B]`. */
  steps: ArrayLike<number>;
}

/**
 * Per-batch metric sums of §6 (not yet divided by anything), plus per-row intermediates
 * the loss head reuses.
 */
export interface BatchMetrics {
  /** Rows with `valid = halted ∧ n > 0`. */
  count: number;
  /** Σ over valid rows of `correct tokens / max(n, 1)`. */
  accuracy: number;
  /** Valid rows whose every scored token is correct. */
  exact_accuracy: number;
  /** Valid rows where `(q_halt ≥ 0) = seq_correct`. */
  q_halt_accuracy: number;
  /** Σ of `steps` over valid rows. */
  steps: number;
  /** Per row: scored tokens `n` (labels ≠ -100). */
  scored: Int32Array;
  /** Per row: 1 when every scored token is correct (`seq_correct`, also for n = 0), else 0. */
  seqCorrect: Uint8Array;
  /** Per row: 1 when the row counts (`halted ∧ n > 0`), else 0. */
  valid: Uint8Array;
}

/** The metric sums {@link MetricAccumulator.add} takes: keys ending in `loss` are losses. */
export type MetricSums = Record<string, number>;

/**
 * Computes the §6 metric sums of one batch on the host (IGNORE = -100):
 * `mask = labels ≠ IGNORE`, `n = Σ mask`, `div = max(n, 1)`,
 * `correct = mask ∧ preds = labels`, `seq_correct = (Σ correct = n)`,
 * `valid = halted ∧ n > 0`; then over valid rows: `count`, `accuracy` (Σ correct/div),
 * `exact_accuracy` (seq_correct), `q_halt_accuracy` ((q_halt ≥ 0) = seq_correct), `steps`.
 *
 * The batch size comes from `qHalt.length`; `preds` and `labels` must hold a whole number
 * of rows of equal length. Sums are in f64 (the reference sums per-row accuracy in f32).
 *
 * @throws RangeError when the array lengths disagree
 */
export function computeBatchMetrics(inputs: BatchMetricInputs): BatchMetrics {
  const { preds, labels, qHalt, halted, steps } = inputs;
  const batch = qHalt.length;
  if (halted.length !== batch || steps.length !== batch) {
    throw new RangeError(
      `computeBatchMetrics: qHalt (${batch}), halted (${halted.length}) and steps (${steps.length}) must have one entry per row`,
    );
  }
  if (preds.length !== labels.length) {
    throw new RangeError(
      `computeBatchMetrics: preds (${preds.length}) and labels (${labels.length}) differ in length`,
    );
  }
  if (batch === 0 ? labels.length !== 0 : labels.length % batch !== 0) {
    throw new RangeError(
      `computeBatchMetrics: labels length ${labels.length} is not a multiple of the batch size ${batch}`,
    );
  }
  const seqLen = batch === 0 ? 0 : labels.length / batch;
  const out: BatchMetrics = {
    count: 0,
    accuracy: 0,
    exact_accuracy: 0,
    q_halt_accuracy: 0,
    steps: 0,
    scored: new Int32Array(batch),
    seqCorrect: new Uint8Array(batch),
    valid: new Uint8Array(batch),
  };
  for (let b = 0; b < batch; b++) {
    let n = 0;
    let correct = 0;
    const base = b * seqLen;
    for (let i = base; i < base + seqLen; i++) {
      const label = labels[i]!;
      if (label === IGNORE_LABEL_ID) continue;
      n++;
      if (preds[i] === label) correct++;
    }
    const seqCorrect = correct === n;
    const valid = Boolean(halted[b]) && n > 0;
    out.scored[b] = n;
    out.seqCorrect[b] = seqCorrect ? 1 : 0;
    out.valid[b] = valid ? 1 : 0;
    if (!valid) continue;
    out.count++;
    out.accuracy += correct / Math.max(n, 1);
    if (seqCorrect) out.exact_accuracy++;
    if (qHalt[b]! >= 0 === seqCorrect) out.q_halt_accuracy++;
    out.steps += steps[b]!;
  }
  return out;
}

/** The metric sums of a {@link BatchMetrics}, ready for {@link MetricAccumulator.add}. */
export function metricSums(m: BatchMetrics): MetricSums {
  return {
    count: m.count,
    accuracy: m.accuracy,
    exact_accuracy: m.exact_accuracy,
    q_halt_accuracy: m.q_halt_accuracy,
    steps: m.steps,
  };
}

/**
 * How {@link MetricAccumulator} normalises losses:
 * - `'batch'` (default): Σ loss / (global_batch_size × batches added to the set). For one
 *   batch this is exactly §6's `sum / global_batch_size`; over several it is the mean per row.
 * - `'count'`: Σ loss / count, which is what the reference's `evaluate()` reports.
 */
export type LossDenominator = 'batch' | 'count';

/** Options of {@link MetricAccumulator}. */
export interface MetricAccumulatorOptions {
  /** Rows per batch across all devices (the reference's `global_batch_size`). */
  globalBatchSize: number;
  /** Loss normalisation; see {@link LossDenominator}. */
  lossDenominator?: LossDenominator;
}

interface SetState {
  sums: Map<string, number>;
  batches: number;
}

/**
 * Accumulates metric sums per set (§6, §8): add the sums of every batch, then read the
 * reduced values. Keys ending in `loss` are losses (divided per {@link LossDenominator});
 * every other key except `count` is divided by `count` (by 1 when the count is 0, so an
 * empty set reports zeros, as the reference's training log does). `count` itself is not
 * reported, as in the reference.
 *
 * ```ts
 * const acc = new MetricAccumulator({ globalBatchSize: 768 });
 * acc.add('all', { ...metricSums(computeBatchMetrics(rows)), lm_loss, q_halt_loss });
 * acc.flat(); // { 'all/accuracy': …, 'all/exact_accuracy': …, 'all/lm_loss': … }
 * ```
 */
export class MetricAccumulator {
  readonly globalBatchSize: number;
  readonly lossDenominator: LossDenominator;
  readonly #sets = new Map<string, SetState>();

  constructor(options: MetricAccumulatorOptions) {
    if (!Number.isInteger(options.globalBatchSize) || options.globalBatchSize <= 0) {
      throw new RangeError(
        `MetricAccumulator: globalBatchSize must be a positive integer, got ${options.globalBatchSize}`,
      );
    }
    this.globalBatchSize = options.globalBatchSize;
    this.lossDenominator = options.lossDenominator ?? 'batch';
    if (this.lossDenominator !== 'batch' && this.lossDenominator !== 'count') {
      throw new RangeError(
        `MetricAccumulator: lossDenominator must be 'batch' or 'count', got ${String(this.lossDenominator)}`,
      );
    }
  }

  /**
   * Adds one batch's sums to `set`. A NaN loss (a model whose activations overflowed) is
   * carried into the result and reported as NaN rather than refused: the user should see it.
   * Counts must be real numbers.
   */
  add(set: string, sums: MetricSums): void {
    let state = this.#sets.get(set);
    if (!state) {
      state = { sums: new Map(), batches: 0 };
      this.#sets.set(set, state);
    }
    for (const [key, value] of Object.entries(sums)) {
      if (typeof value !== 'number' || (Number.isNaN(value) && !key.endsWith('loss'))) {
        throw new TypeError(
          `MetricAccumulator.add: '${key}' of set '${set}' is not a number: ${value}`,
        );
      }
      state.sums.set(key, (state.sums.get(key) ?? 0) + value);
    }
    state.batches++;
  }

  /** Names of the sets seen, in first-added order. */
  sets(): string[] {
    return [...this.#sets.keys()];
  }

  /** Raw sum of `key` in `set` (0 when absent). */
  sum(set: string, key: string): number {
    return this.#sets.get(set)?.sums.get(key) ?? 0;
  }

  /** Rows counted in `set` (Σ `count`). */
  count(set: string): number {
    return this.sum(set, 'count');
  }

  /** Reduced metrics per set: `{ [set]: { [metric]: value } }`. */
  result(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [set, state] of this.#sets) {
      const count = state.sums.get('count') ?? 0;
      const metricDiv = Math.max(count, 1);
      const lossDiv =
        this.lossDenominator === 'count'
          ? metricDiv
          : this.globalBatchSize * Math.max(state.batches, 1);
      const reduced: Record<string, number> = {};
      for (const [key, value] of state.sums) {
        if (key === 'count') continue;
        reduced[key] = value / (key.endsWith('loss') ? lossDiv : metricDiv);
      }
      out[set] = reduced;
    }
    return out;
  }

  /** Reduced metrics flattened to `<prefix><set>/<metric>` keys (the evaluation log). */
  flat(prefix = ''): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [set, metrics] of Object.entries(this.result())) {
      for (const [key, value] of Object.entries(metrics)) out[`${prefix}${set}/${key}`] = value;
    }
    return out;
  }

  /** Forgets every set. */
  reset(): void {
    this.#sets.clear();
  }
}
