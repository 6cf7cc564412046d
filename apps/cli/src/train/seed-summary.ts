/**
 * The summary of `trm train --seeds`: every final evaluation metric across the seeds (mean and
 * sample standard deviation) and, for the accuracies, one Wilson interval over the pooled
 * counts. Pure: the runs' metrics come in, the summary and its text forms go out.
 */
import { wilsonInterval } from '@trm/evaluators';
import { metricEntries, type TrialCounts } from './report.js';

/** One seed's run as the summary sees it. */
export interface SeedRun {
  seed: number;
  /** The run directory (absolute). */
  runDir: string;
  /** The step of the final evaluation; null when the run has none. */
  step: number | null;
  /** The metrics of the final evaluation; null when the run has none. */
  metrics: Record<string, number> | null;
}

/** One metric across the seeds. */
export interface SeedMetric {
  /** Seeds whose final evaluation has the metric, in the order given. */
  seeds: number[];
  values: number[];
  mean: number;
  /** Sample standard deviation (n − 1 in the denominator); null for a single seed. */
  std: number | null;
  /**
   * For accuracies (the metrics with a Wilson interval in each run's report): the correct
   * counts and trials of every seed added up, and the 95% Wilson interval of the pooled rate.
   */
  pooled?: { correct: number; trials: number; value: number; ci95: [number, number] };
}

/** What `seeds_summary.json` holds. */
export interface SeedSummary {
  seeds: number[];
  runs: { seed: number; run_dir: string; step: number | null }[];
  /** Test puzzles and sequence length behind each run's accuracies. */
  trials: TrialCounts;
  metrics: Record<string, SeedMetric>;
}

/**
 * Summarises the final evaluations of the seeds' runs. A metric is summarised over the seeds
 * that report it (a run without an evaluation reports none). For an accuracy, each seed's
 * correct count is its rate times its trials (the N of its Wilson interval), rounded; the
 * pooled interval treats the seeds' trials as one sample, so it measures how well the test
 * puzzles pin the rate down, while the standard deviation shows how much it moves with the seed.
 */
export function summarizeSeeds(runs: readonly SeedRun[], trials: TrialCounts): SeedSummary {
  const metrics: Record<string, SeedMetric> = {};
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics ?? {})))];
  for (const key of keys) {
    const seeds: number[] = [];
    const values: number[] = [];
    let correct = 0;
    let pooledTrials = 0;
    let pooledAll = true;
    for (const run of runs) {
      const value = run.metrics?.[key];
      if (value === undefined) continue;
      seeds.push(run.seed);
      values.push(value);
      const entry = metricEntries({ [key]: value, ...exampleCounts(run.metrics!) }, trials)[key]!;
      if (entry.n === undefined) pooledAll = false;
      else {
        correct += Math.round(value * entry.n);
        pooledTrials += entry.n;
      }
    }
    const metric: SeedMetric = { seeds, values, mean: mean(values), std: sampleStd(values) };
    if (pooledAll && pooledTrials > 0) {
      const value = correct / pooledTrials;
      const w = wilsonInterval(value, pooledTrials);
      metric.pooled = { correct, trials: pooledTrials, value, ci95: [w.low, w.high] };
    }
    metrics[key] = metric;
  }
  return {
    seeds: runs.map((r) => r.seed),
    runs: runs.map((r) => ({ seed: r.seed, run_dir: r.runDir, step: r.step })),
    trials,
    metrics,
  };
}

/** ARC's `example_N` counts, which the pass@k intervals take their N from. */
function exampleCounts(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).filter(([k]) => k.endsWith('example_N')));
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function sampleStd(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

/** A metric's columns: mean ± std, each seed's value, the pooled rate with its interval. */
function cells(m: SeedMetric, seeds: readonly number[]): string[] {
  const f = (v: number) => v.toFixed(4);
  return [
    m.std === null ? f(m.mean) : `${f(m.mean)} ± ${f(m.std)}`,
    ...seeds.map((s) => {
      const i = m.seeds.indexOf(s);
      return i < 0 ? '–' : f(m.values[i]!);
    }),
    m.pooled
      ? `${f(m.pooled.value)} [${f(m.pooled.ci95[0])}, ${f(m.pooled.ci95[1])}] (N=${m.pooled.trials})`
      : '',
  ];
}

/** The column headings of the summary table. */
function headings(summary: SeedSummary, pooled: string): string[] {
  return ['metric', 'mean ± std', ...summary.seeds.map((s) => `seed ${s}`), pooled];
}

/** The summary as aligned text for the terminal. */
export function formatSeedSummary(summary: SeedSummary): string {
  const head = headings(summary, 'pooled [95% Wilson]');
  const rows = Object.entries(summary.metrics).map(([k, m]) => [k, ...cells(m, summary.seeds)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  const missing = summary.runs.filter((r) => r.step === null).map((r) => r.seed);
  return [
    `final evaluation over ${summary.seeds.length} seeds (mean ± sample std; pooled: every seed's correct counts added up):`,
    line(head),
    ...rows.map(line),
    ...(missing.length > 0 ? [`  no evaluation in the runs of seed ${missing.join(', ')}`] : []),
  ].join('\n');
}

/** The summary as a Markdown page (`seeds_summary.md`). */
export function seedSummaryMarkdown(summary: SeedSummary): string {
  const head = headings(summary, 'pooled [95% Wilson] (N)');
  const row = (r: string[]) => `| ${r.join(' | ')} |`;
  return [
    `# Final evaluation over ${summary.seeds.length} seeds`,
    '',
    `Seeds ${summary.seeds.join(', ')}; ${summary.trials.puzzles} test puzzles each. Mean ± sample standard deviation over the seeds; for accuracies, the 95% Wilson interval of the rate over every seed's correct counts added up.`,
    '',
    row(head),
    row(head.map(() => '---')),
    ...Object.entries(summary.metrics).map(([k, m]) =>
      row([`\`${k}\``, ...cells(m, summary.seeds)]),
    ),
    '',
    '| seed | run directory | final evaluation at step |',
    '| --- | --- | --- |',
    ...summary.runs.map((r) =>
      row([String(r.seed), r.run_dir, r.step === null ? '–' : String(r.step)]),
    ),
    '',
  ].join('\n');
}
