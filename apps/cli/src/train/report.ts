import { wilsonInterval } from '@trm/evaluators';

/** One evaluation metric as reported: its value and, for accuracies, a 95% Wilson interval. */
export interface MetricEntry {
  value: number;
  /** Trials behind an accuracy (puzzles, cells or test examples). */
  n?: number;
  /** 95% Wilson score interval `[low, high]`. */
  ci95?: [number, number];
}

/** How many trials stand behind the accuracies of an evaluation. */
export interface TrialCounts {
  /** Evaluated puzzles (exact accuracy). */
  puzzles: number;
  /** Evaluated puzzles of each set, where they differ by set (several datasets merged). */
  setPuzzles?: Record<string, number>;
  /** Tokens per puzzle (cell accuracy counts puzzles × seqLen cells). */
  seqLen: number;
}

/**
 * The metrics with their sample sizes and Wilson intervals: exact accuracy over puzzles, cell
 * accuracy over cells, ARC `example_pass@k` over test examples; everything else as a plain
 * value. A value that is not a proportion (NaN from a diverged model) is reported as it is.
 */
export function metricEntries(
  metrics: Record<string, number>,
  n: TrialCounts,
): Record<string, MetricEntry> {
  const out: Record<string, MetricEntry> = {};
  for (const [key, value] of Object.entries(metrics)) {
    let trials: number | undefined;
    const puzzles = n.setPuzzles?.[key.slice(0, key.indexOf('/'))] ?? n.puzzles;
    if (key.endsWith('/exact_accuracy')) trials = puzzles;
    else if (key.endsWith('/accuracy') && !key.includes('q_halt')) trials = puzzles * n.seqLen;
    else if (/example_pass@\d+$/.test(key))
      trials = metrics[key.replace(/example_pass@\d+$/, 'example_N')];
    const entry: MetricEntry = { value };
    if (trials !== undefined && trials > 0 && value >= 0 && value <= 1) {
      const w = wilsonInterval(value, trials);
      entry.n = trials;
      entry.ci95 = [w.low, w.high];
    }
    out[key] = entry;
  }
  return out;
}

/** The metrics as aligned text lines, with Wilson intervals where they apply. */
export function formatEvalReport(metrics: Record<string, number>, n: TrialCounts): string {
  const lines: string[] = [];
  for (const [key, e] of Object.entries(metricEntries(metrics, n))) {
    const text = e.ci95
      ? `${e.value.toFixed(4)} [${e.ci95[0].toFixed(4)}, ${e.ci95[1].toFixed(4)}] (N=${e.n})  (95% Wilson interval)`
      : e.value.toFixed(4);
    lines.push(`  ${key.padEnd(34)} ${text}`);
  }
  return lines.join('\n');
}

/**
 * The `--per-step` table: one line per supervision step, one column per metric (accuracy,
 * exact accuracy and, with `--act-inference`, the fraction of rows halted by then).
 */
export function formatPerStepTable(
  rows: readonly { step: number; metrics: Record<string, MetricEntry> }[],
): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
  const widths = keys.map((k) => Math.max(k.length, 6));
  const stepWidth = Math.max(4, String(rows.at(-1)?.step ?? 0).length);
  const line = (step: string, cells: string[]) =>
    `  ${step.padStart(stepWidth)}  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [
    'per supervision step (every row stopped there):',
    line('step', keys),
    ...rows.map((r) =>
      line(
        String(r.step),
        keys.map((k) => r.metrics[k]?.value.toFixed(4) ?? ''),
      ),
    ),
  ].join('\n');
}
