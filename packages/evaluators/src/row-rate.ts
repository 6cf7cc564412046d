import { checkBatch } from './batch.js';
import type { EvalBatch, EvalOutputs, Evaluator, EvaluatorMetrics } from './interface.js';
import { rowIsScored } from './rows.js';

/**
 * An evaluator reporting the fraction of evaluated rows whose prediction passes a per-row
 * check (`<name>/<metric>`) and the number of rows evaluated (`<name>/N`). Padding rows
 * (every label ignored) are skipped.
 */
export abstract class RowRateEvaluator implements Evaluator {
  readonly requiredOutputs: readonly string[] = ['inputs', 'labels', 'preds'];
  #passed = 0;
  #total = 0;

  protected constructor(
    readonly name: string,
    /** Used in error messages, e.g. `Maze evaluator`. */
    private readonly who: string,
    private readonly metric: string,
  ) {}

  /** Whether one row's prediction passes, given that row's input. */
  protected abstract passes(input: Int32Array, pred: Int32Array): boolean;

  begin(): void {
    this.#passed = 0;
    this.#total = 0;
  }

  update(batch: EvalBatch, outputs: EvalOutputs): void {
    const [b, l] = checkBatch(this.who, batch, outputs);
    for (let row = 0; row < b; row++) {
      if (!rowIsScored(batch.labels, row, l)) continue;
      this.#total++;
      const s = row * l;
      if (this.passes(batch.inputs.subarray(s, s + l), outputs.preds.subarray(s, s + l))) {
        this.#passed++;
      }
    }
  }

  result(): EvaluatorMetrics {
    return {
      [`${this.name}/${this.metric}`]: this.#total > 0 ? this.#passed / this.#total : 0,
      [`${this.name}/N`]: this.#total,
    };
  }
}
