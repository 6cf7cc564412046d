import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mergedSetName, readMetadata } from '@trm/datasets';
import {
  createEvaluators,
  type EvalBatch,
  type EvalMetadata,
  type EvalOutputs,
  type Evaluator,
  type EvaluatorMetrics,
  type EvaluatorSpec,
  evaluatorDatasetFiles,
} from '@trm/evaluators';

/**
 * An evaluator that watches only some sets of a merged test set: those of one of its datasets.
 * Without `sets` it watches every batch.
 */
export interface ScopedEvaluator extends Evaluator {
  /** The set names (`all`, `all1`, …) whose batches it is given; every set when absent. */
  readonly sets?: readonly string[];
}

/** Whether `evaluator` is given the batches of `setName`. */
export function watchesSet(evaluator: ScopedEvaluator, setName: string): boolean {
  return evaluator.sets === undefined || evaluator.sets.includes(setName);
}

/**
 * The evaluators of an evaluation, as the reference's `create_evaluators` makes them: every
 * `evaluators:` entry once for every evaluated dataset (each with its own `identifiers.json`
 * and, for ARC, `test_puzzles.json`), not only for the first.
 *
 * With several datasets, the one at position i > 0 of the list has its sets named `all<i>` by
 * the loader, and its evaluators follow: they see only those sets (another dataset's
 * identifiers mean other puzzles), are named `<name><i>` (their files go to
 * `evaluator_<name><i>/`) and report `<Prefix><i>/<metric>`, e.g. `ARC1/pass@2`. The first
 * dataset's evaluators keep the plain names.
 *
 * An entry whose dataset lacks the files only its kind of dataset has (see
 * {@link evaluatorDatasetFiles}: ARC's `test_puzzles.json` on a Sudoku or Maze dataset) is
 * left out with a one-line note, as the reference runs without an evaluator it cannot build;
 * this keeps the default `arc@ARC` out of the way of other tasks.
 */
export function createDatasetEvaluators(
  specs: readonly (EvaluatorSpec | string)[],
  args: {
    /** The evaluated dataset directories, in the order they were merged. */
    datasetDirs: readonly string[];
    /** The merged test metadata. */
    metadata: EvalMetadata & { sets: readonly string[] };
    /** Receives each note (one line, no newline); the notes are dropped without it. */
    note?: (line: string) => void;
  },
): ScopedEvaluator[] {
  const { datasetDirs, metadata } = args;
  const several = datasetDirs.length > 1;
  const out: ScopedEvaluator[] = [];
  for (const spec of specs) {
    datasetDirs.forEach((datasetDir, i) => {
      const name = typeof spec === 'string' ? spec : spec?.name;
      if (typeof name === 'string') {
        const missing = evaluatorDatasetFiles(name).filter((f) => !existsSync(join(datasetDir, f)));
        if (missing.length > 0) {
          args.note?.(
            `evaluator ${name} skipped for ${datasetDir}: it has no ${missing.join(', ')} (not a dataset this evaluator applies to)`,
          );
          return;
        }
      }
      const [evaluator] = createEvaluators([spec], { datasetDir, metadata });
      if (!several) out.push(evaluator!);
      else
        out.push(
          new DatasetEvaluator(
            evaluator!,
            metadata.sets.map((s) => mergedSetName(s, i)),
            i > 0 ? String(i) : '',
          ),
        );
    });
  }
  return out;
}

/** An evaluator confined to one dataset's sets, its name and metric prefixes suffixed. */
class DatasetEvaluator implements ScopedEvaluator {
  readonly name: string;
  readonly requiredOutputs: readonly string[];

  constructor(
    private readonly inner: Evaluator,
    readonly sets: readonly string[],
    private readonly suffix: string,
  ) {
    this.name = `${inner.name}${suffix}`;
    this.requiredOutputs = inner.requiredOutputs;
  }

  begin(): void {
    this.inner.begin();
  }

  update(batch: EvalBatch, outputs: EvalOutputs): void {
    this.inner.update(batch, outputs);
  }

  result(saveDir?: string): EvaluatorMetrics {
    const metrics = this.inner.result(saveDir);
    if (this.suffix === '') return metrics;
    const out: EvaluatorMetrics = {};
    for (const [key, value] of Object.entries(metrics)) {
      const slash = key.indexOf('/');
      out[
        slash < 0
          ? `${key}${this.suffix}`
          : `${key.slice(0, slash)}${this.suffix}${key.slice(slash)}`
      ] = value;
    }
    return out;
  }
}

/**
 * Each test dataset's `total_puzzles` (the Wilson N of its accuracies), by the names its sets
 * have in the merged test set.
 */
export function testPuzzlesBySet(datasetDirs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  datasetDirs.forEach((dir, i) => {
    const meta = readMetadata(join(dir, 'test', 'dataset.json'));
    for (const set of meta.sets) out[mergedSetName(set, i)] = meta.total_puzzles;
  });
  return out;
}
