/**
 * `checkpoint_keep_best` and `early_stop_patience`: after each evaluation the run ranks its
 * checkpoint by `checkpoint_metric`, keeps the K best as `best_step_<N>.safetensors` (with
 * their state files) and counts the evaluations since the metric last improved. `best.json`
 * in the run directory records both, so `--resume` goes on with the same list and counter.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { TrainConfig } from '../config/schema.js';
import { ConfigError, InputError } from '../errors.js';
import { bestListFile, bestStateFile, bestWeightsFile } from './run-dir.js';

/** The metric `checkpoint_metric` names (its default when null). */
export const DEFAULT_CHECKPOINT_METRIC = 'all/exact_accuracy';

/** The metrics every evaluation reports for each data set (`<set>/<name>`). */
export const SET_METRICS = [
  'accuracy',
  'exact_accuracy',
  'q_halt_accuracy',
  'steps',
  'lm_loss',
  'q_halt_loss',
] as const;

/** The metric that ranks checkpoints, or null when neither feature is on. */
export function trackedMetric(config: TrainConfig): string | null {
  if (config.checkpoint_keep_best === 0 && config.early_stop_patience === 0) return null;
  return config.checkpoint_metric ?? DEFAULT_CHECKPOINT_METRIC;
}

/**
 * Checks `checkpoint_metric` against what the evaluation will report, before anything is
 * written: a `<set>/<name>` metric of a test set must be one of {@link SET_METRICS}; an
 * evaluator's metric (its prefix names a configured evaluator, e.g. `sudoku/…`, `ARC/…`)
 * depends on the evaluator's options and is checked at the first evaluation
 * ({@link BestCheckpoints.record}). Any other prefix is an error now.
 */
export function checkMetricName(
  config: TrainConfig,
  setNames: readonly string[],
  evaluatorNames: readonly string[],
): void {
  const metric = trackedMetric(config);
  if (metric === null) return;
  const slash = metric.indexOf('/');
  const prefix = metric.slice(0, slash);
  const name = metric.slice(slash + 1);
  const sets = [...new Set(['all', ...setNames])];
  if (evaluatorNames.some((e) => e.toLowerCase() === prefix.toLowerCase())) return;
  const known = sets.flatMap((s) => SET_METRICS.map((m) => `${s}/${m}`));
  if (sets.includes(prefix) && (SET_METRICS as readonly string[]).includes(name)) return;
  const evaluators =
    evaluatorNames.length > 0
      ? ` or a metric of the evaluators (${evaluatorNames.map((e) => `${e}/…`).join(', ')})`
      : '';
  throw new ConfigError(
    `checkpoint_metric: the evaluation reports no metric '${metric}'. Set checkpoint_metric to one of ${known.join(', ')}${evaluators}.`,
    { key: 'checkpoint_metric' },
  );
}

/** One kept best checkpoint. */
export interface BestEntry {
  step: number;
  value: number;
}

/** What `best.json` holds. */
interface BestFile {
  metric: string;
  mode: 'max' | 'min';
  keep: number;
  /** The best kept checkpoint, null while none is kept. */
  best: (BestEntry & { file: string }) | null;
  /** The kept checkpoints, best first. */
  kept: (BestEntry & { file: string })[];
  /** The best value seen so far (also when no checkpoint is kept), null before any. */
  best_value: number | null;
  best_step: number | null;
  evals_without_improvement: number;
  /** Every evaluation's value, oldest first (a resumed run drops those after its checkpoint). */
  history: BestEntry[];
}

/** What one evaluation changes. */
export interface BestOutcome {
  value: number;
  /** This evaluation's checkpoint joins the kept best (save it as `best_step_<N>`). */
  keep: boolean;
  /** `early_stop_patience` evaluations without improvement: stop the run. */
  stop: boolean;
}

/** The kept best checkpoints and the early-stopping counter of one run (rank 0). */
export class BestCheckpoints {
  private kept: BestEntry[] = [];
  private history: BestEntry[] = [];
  private bestValue: number | null = null;
  private bestStep: number | null = null;
  private stale = 0;

  private constructor(
    private readonly runDir: string,
    readonly metric: string,
    private readonly mode: 'max' | 'min',
    private readonly keep: number,
    readonly patience: number,
  ) {}

  /** The tracker of a run, or null when neither feature is on. */
  static forRun(config: TrainConfig, runDir: string): BestCheckpoints | null {
    const metric = trackedMetric(config);
    if (metric === null) return null;
    return new BestCheckpoints(
      runDir,
      metric,
      config.checkpoint_metric_mode,
      config.checkpoint_keep_best,
      config.early_stop_patience,
    );
  }

  /**
   * `--resume` at `step`: reads `best.json` back. Evaluations after `step` are forgotten (the
   * resumed run repeats them) and their best files removed (this run wrote them; they are
   * written again if they still rank); kept files that are gone are dropped from the list.
   */
  resume(step: number): void {
    const path = bestListFile(this.runDir);
    if (!existsSync(path)) return;
    let file: BestFile;
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as BestFile;
      if (!Array.isArray(file.history) || !Array.isArray(file.kept)) throw new Error('no lists');
      // JSON writes NaN as null.
      for (const e of [...file.history, ...file.kept]) e.value = e.value ?? Number.NaN;
    } catch (error) {
      throw new InputError(
        `--resume: ${path} is not a best-checkpoint list of trm train (${(error as Error).message}). Move it away to start the list afresh.`,
        { file: path },
      );
    }
    for (const e of file.kept) {
      if (e.step > step) this.removeFiles(e.step);
      else if (existsSync(bestWeightsFile(this.runDir, e.step))) this.kept.push(e);
    }
    const sameMetric = file.metric === this.metric && file.mode === this.mode;
    // A different metric or mode ranks afresh from here; the old best files stay on disk.
    if (!sameMetric) {
      this.kept = [];
      return;
    }
    this.kept.sort((a, b) => this.compare(a.value, b.value));
    for (const e of file.history.filter((h) => h.step <= step)) this.count(e);
    this.history = file.history.filter((h) => h.step <= step);
  }

  /** Positive when `b` is better than `a` (sorts best first); NaN is never better. */
  private compare(a: number, b: number): number {
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
    if (Number.isNaN(b)) return -1;
    return this.mode === 'max' ? b - a : a - b;
  }

  private better(value: number, than: number | null): boolean {
    if (Number.isNaN(value)) return false;
    return than === null || (this.mode === 'max' ? value > than : value < than);
  }

  /** Updates the best value and the patience counter with one evaluation. */
  private count(e: BestEntry): boolean {
    const improved = this.better(e.value, this.bestValue);
    if (improved) {
      this.bestValue = e.value;
      this.bestStep = e.step;
      this.stale = 0;
    } else {
      this.stale += 1;
    }
    return improved;
  }

  /**
   * Records the evaluation at `step`. A metric the evaluation did not report is a config
   * error here (evaluator metrics cannot be checked before the first evaluation).
   */
  record(step: number, metrics: Record<string, number>): BestOutcome {
    const value = metrics[this.metric];
    if (value === undefined)
      throw new ConfigError(
        `checkpoint_metric: the evaluation at step ${step} reported no metric '${this.metric}'. Set checkpoint_metric to one it reports: ${Object.keys(metrics).join(', ')}.`,
        { key: 'checkpoint_metric' },
      );
    const entry = { step, value };
    this.history.push(entry);
    this.count(entry);
    const worst = this.kept.at(-1);
    const keep =
      this.keep > 0 &&
      !Number.isNaN(value) &&
      (this.kept.length < this.keep || (worst !== undefined && this.better(value, worst.value)));
    const stop = this.patience > 0 && this.stale >= this.patience;
    return { value, keep, stop };
  }

  /**
   * After the best checkpoint of `step` is saved: adds it to the list and removes the files of
   * the one it pushes out (only best files this run listed).
   */
  addKept(step: number, value: number): void {
    this.kept.push({ step, value });
    // Ties keep the earlier checkpoint.
    this.kept.sort((a, b) => this.compare(a.value, b.value) || a.step - b.step);
    while (this.kept.length > this.keep) this.removeFiles(this.kept.pop()!.step);
  }

  private removeFiles(step: number): void {
    rmSync(bestWeightsFile(this.runDir, step), { force: true });
    rmSync(bestStateFile(this.runDir, step), { force: true });
  }

  /** Writes `best.json` (temp file and rename, so a kill leaves the previous one whole). */
  write(): void {
    const entry = (e: BestEntry) => ({
      ...e,
      file: basename(bestWeightsFile(this.runDir, e.step)),
    });
    const file: BestFile = {
      metric: this.metric,
      mode: this.mode,
      keep: this.keep,
      best: this.kept[0] ? entry(this.kept[0]) : null,
      kept: this.kept.map(entry),
      best_value: this.bestValue,
      best_step: this.bestStep,
      evals_without_improvement: this.stale,
      history: this.history,
    };
    const path = bestListFile(this.runDir);
    writeFileSync(`${path}.tmp`, `${JSON.stringify(file, null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
  }

  /** Why the run stops, for stderr. */
  stopReason(): string {
    const best =
      this.bestStep === null
        ? 'no evaluation gave a number'
        : `best ${this.bestValue} at step ${this.bestStep}`;
    return `early stop: ${this.metric} has not improved (${this.mode}) for ${this.stale} evaluation${this.stale === 1 ? '' : 's'} (early_stop_patience=${this.patience}; ${best})`;
  }
}
