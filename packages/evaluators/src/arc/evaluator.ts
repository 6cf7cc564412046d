import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkBatch } from '../batch.js';
import type {
  EvalBatch,
  EvalOutputs,
  Evaluator,
  EvaluatorContext,
  EvaluatorMetrics,
  EvaluatorOptions,
  Grid,
  TestPuzzles,
} from '../interface.js';
import { contextIdentifiers, contextTestPuzzles } from '../loaders.js';
import { OptionReader } from '../options.js';
import { gridHash, inverseAugment } from './augment.js';
import { ARC_CANVAS_SIZE, cropArcGrid } from './crop.js';
import { type ArcSubmission, EMPTY_ATTEMPT, type SubmissionAttempts } from './submission.js';
import { DEFAULT_PASS_KS, passAtK, rankVotes, sigmoid, type Vote } from './voting.js';

/** Options of the ARC evaluator (snake_case spellings of the reference are accepted too). */
export interface ArcEvaluatorOptions {
  /** `k` values of `ARC/pass@k` (`pass_Ks`); default 1, 2, 5, 10, 100, 1000. */
  passKs?: readonly number[];
  /** Attempts per test input in `submission.json` (`submission_K`); default 2. */
  submissionK?: number;
  /**
   * Keep votes across evaluation passes (`aggregated_voting`); default `true`, as in the
   * reference, where `begin()` then keeps earlier votes. With `false`, `begin()` clears them.
   */
  aggregatedVoting?: boolean;
}

/**
 * The ARC evaluator of §12 (the reference's `evaluators/arc.py: ARC`).
 *
 * Every row whose identifier is not blank is cropped (largest all-colour top-left rectangle,
 * tokens − 2), de-augmented using its variant name from `identifiers.json` (inverse dihedral
 * transform, then inverse colour map) and hashed; its de-augmented input is hashed too, to find
 * the test pair it answers. `result()` ranks, per puzzle of `test_puzzles.json` and test input,
 * the distinct predictions by (votes, mean sigmoid(q_halt)) descending and reports:
 * - `ARC/pass@k`: mean over puzzles of (fraction of the puzzle's test inputs whose true output
 *   is in the top k);
 * - `ARC/example_pass@k` and `ARC/example_N`: the same pooled over all test inputs (only when
 *   there is at least one test input).
 *
 * `submission.json` (Kaggle format) holds the top `submissionK` grids per test input, padded
 * with the first. Two deliberate differences from the reference, which otherwise is followed:
 * a test input without any prediction gets `[[0]]` attempts (the reference leaves it out,
 * which makes the file unusable on Kaggle) and is scored incorrect; an empty crop is submitted
 * as `[[0]]` (Kaggle rejects `[]`) but still votes as the empty grid.
 */
export class ArcEvaluator implements Evaluator {
  readonly name = 'arc';
  readonly requiredOutputs: readonly string[] = [
    'inputs',
    'puzzleIdentifiers',
    'preds',
    'qHaltLogits',
  ];
  readonly passKs: readonly number[];
  readonly submissionK: number;
  readonly aggregatedVoting: boolean;
  readonly #identifiers: readonly string[];
  readonly #testPuzzles: TestPuzzles;
  readonly #blank: number;
  /** Predicted grid by hash. */
  readonly #grids = new Map<string, Grid>();
  /** Votes by original puzzle name, then by hash of the de-augmented input. */
  readonly #votes = new Map<string, Map<string, Vote[]>>();
  #lastSubmission: ArcSubmission | undefined;

  constructor(context: EvaluatorContext, options?: ArcEvaluatorOptions | EvaluatorOptions) {
    const who = 'ARC evaluator';
    const opts = new OptionReader(who, options as EvaluatorOptions | undefined);
    this.passKs = opts.positiveInts(['passKs', 'pass_Ks', 'pass_ks'], DEFAULT_PASS_KS);
    this.submissionK = opts.positiveInt(['submissionK', 'submission_K', 'submission_k'], 2);
    this.aggregatedVoting = opts.boolean(['aggregatedVoting', 'aggregated_voting'], true);
    opts.done();
    if (context.metadata.seq_len !== ARC_CANVAS_SIZE * ARC_CANVAS_SIZE) {
      throw new RangeError(
        `${who}: seq_len must be ${ARC_CANVAS_SIZE * ARC_CANVAS_SIZE} (a 30×30 canvas), got ${context.metadata.seq_len}`,
      );
    }
    this.#blank = context.metadata.blank_identifier_id;
    this.#identifiers = contextIdentifiers(context, who);
    this.#testPuzzles = contextTestPuzzles(context, who);
  }

  begin(): void {
    if (!this.aggregatedVoting) {
      this.#grids.clear();
      this.#votes.clear();
    }
  }

  update(batch: EvalBatch, outputs: EvalOutputs): void {
    const [b, l] = checkBatch('ARC evaluator', batch, outputs);
    if (l !== ARC_CANVAS_SIZE * ARC_CANVAS_SIZE) {
      throw new RangeError(`ARC evaluator: seqLen must be 900, got ${l}`);
    }
    for (let row = 0; row < b; row++) {
      const id = batch.puzzleIdentifiers[row]!;
      if (id === this.#blank) continue;
      const aug = this.#inverseFor(id);
      const input = aug.invert(cropArcGrid(batch.inputs, row * l));
      const pred = aug.invert(cropArcGrid(outputs.preds, row * l));
      const predHash = gridHash(pred);
      if (!this.#grids.has(predHash)) this.#grids.set(predHash, pred);
      let byInput = this.#votes.get(aug.name);
      if (!byInput) {
        byInput = new Map();
        this.#votes.set(aug.name, byInput);
      }
      const inputHash = gridHash(input);
      let votes = byInput.get(inputHash);
      if (!votes) {
        votes = [];
        byInput.set(inputHash, votes);
      }
      votes.push({ hash: predHash, q: sigmoid(outputs.qHaltLogits[row]!) });
    }
  }

  /** Parses the variant name of identifier `id` (no cache: each id occurs a few times at most). */
  #inverseFor(id: number): ReturnType<typeof inverseAugment> {
    const name = Number.isInteger(id) && id >= 0 ? this.#identifiers[id] : undefined;
    if (name === undefined) {
      throw new RangeError(
        `ARC evaluator: puzzle identifier ${id} is outside identifiers.json (${this.#identifiers.length} entries)`,
      );
    }
    return inverseAugment(name);
  }

  result(saveDir?: string): EvaluatorMetrics {
    const ks = this.passKs;
    const submission: ArcSubmission = {};
    const puzzleSum = ks.map(() => 0);
    const exampleCorrect = ks.map(() => 0);
    let exampleN = 0;
    const puzzles = Object.entries(this.#testPuzzles);
    for (const [name, puzzle] of puzzles) {
      const entries: SubmissionAttempts[] = [];
      const correct = ks.map(() => 0);
      const byInput = this.#votes.get(name);
      for (const pair of puzzle.test) {
        const ranked = rankVotes(byInput?.get(gridHash(pair.input)) ?? []);
        const label = pair.output === undefined ? undefined : gridHash(pair.output);
        if (label !== undefined) {
          ks.forEach((k, i) => {
            if (passAtK(ranked, label, k)) correct[i]!++;
          });
        }
        const grids = ranked.slice(0, this.submissionK).map((c) => this.#grids.get(c.hash)!);
        const first = grids[0] ?? EMPTY_ATTEMPT;
        const attempts: SubmissionAttempts = {};
        for (let i = 0; i < this.submissionK; i++) {
          const grid = grids[i] ?? first;
          attempts[`attempt_${i + 1}`] =
            grid.length === 0 || grid[0]!.length === 0 ? EMPTY_ATTEMPT : grid;
        }
        entries.push(attempts);
      }
      submission[name] = entries;
      const nTest = puzzle.test.length;
      exampleN += nTest;
      ks.forEach((_, i) => {
        exampleCorrect[i]! += correct[i]!;
        if (nTest > 0) puzzleSum[i]! += correct[i]! / nTest;
      });
    }
    if (saveDir !== undefined) {
      mkdirSync(saveDir, { recursive: true });
      writeFileSync(join(saveDir, 'submission.json'), JSON.stringify(submission));
    }
    const metrics: EvaluatorMetrics = {};
    ks.forEach((k, i) => {
      metrics[`ARC/pass@${k}`] = puzzles.length > 0 ? puzzleSum[i]! / puzzles.length : 0;
    });
    if (exampleN > 0) {
      metrics['ARC/example_N'] = exampleN;
      ks.forEach((k, i) => {
        metrics[`ARC/example_pass@${k}`] = exampleCorrect[i]! / exampleN;
      });
    }
    this.#lastSubmission = submission;
    return metrics;
  }

  /** The submission built by the last `result()` call (also when no `saveDir` was given). */
  get submission(): ArcSubmission | undefined {
    return this.#lastSubmission;
  }
}
