/**
 * The charts of a training run, drawn from its metric records: losses of different scales on
 * charts of their own, accuracies of halted rows only (a step where no row halted has no
 * accuracy, not an accuracy of zero), the learning rate, and evaluations as marked points.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChartSvg, type Series } from './svg.js';

/** One line of `metrics.jsonl`. */
export interface MetricRecord {
  step: number;
  time: string;
  [metric: string]: number | string;
}

/** A chart: which metrics it shows (by key or pattern over the keys present). */
export interface ChartSpec {
  name: string;
  title: string;
  yLabel: string;
  keys: readonly string[] | RegExp;
  /** Mark every point (sparse series). */
  markers?: boolean;
  /** Fixed y range (accuracies: 0 to 1). */
  yRange?: [number, number];
}

const EVAL_KEY = /^(?!train\/)[^/]+\/.*/;

/** The charts `trm train` keeps up to date in `<run>/charts/` and `trm plot` draws. */
export const RUN_CHARTS: readonly ChartSpec[] = [
  {
    name: 'train_lm_loss',
    title: 'Training loss (cross-entropy per token)',
    yLabel: 'loss',
    keys: ['train/lm_loss'],
  },
  {
    name: 'train_halt_loss',
    title: 'Halting losses',
    yLabel: 'loss',
    keys: ['train/q_halt_loss', 'train/q_continue_loss'],
  },
  {
    name: 'train_accuracy',
    title: 'Training accuracy (rows that halted)',
    yLabel: 'accuracy',
    keys: ['train/accuracy', 'train/exact_accuracy', 'train/q_halt_accuracy'],
    yRange: [0, 1],
  },
  {
    name: 'train_steps',
    title: 'Supervision steps used (halted rows)',
    yLabel: 'steps',
    keys: ['train/steps'],
  },
  { name: 'lr', title: 'Learning rate', yLabel: 'lr', keys: ['train/lr'] },
  {
    name: 'eval_accuracy',
    title: 'Evaluation accuracy',
    yLabel: 'accuracy',
    keys: new RegExp(`${EVAL_KEY.source}(accuracy|pass@\\d+|_rate)$`),
    markers: true,
    yRange: [0, 1],
  },
  {
    name: 'eval_loss',
    title: 'Evaluation losses',
    yLabel: 'loss',
    keys: new RegExp(`${EVAL_KEY.source}_loss$`),
    markers: true,
  },
];

/** The drawing options of a chart spec. */
export function chartOptions(spec: ChartSpec): { yLabel: string; yRange?: [number, number] } {
  return { yLabel: spec.yLabel, ...(spec.yRange ? { yRange: spec.yRange } : {}) };
}

/** The series of one chart (empty when the run has none of its metrics). */
export function chartSeries(records: readonly MetricRecord[], spec: ChartSpec): Series[] {
  let keys: string[];
  if (Array.isArray(spec.keys)) keys = [...(spec.keys as readonly string[])];
  else {
    const found = new Set<string>();
    for (const r of records)
      for (const k of Object.keys(r)) if ((spec.keys as RegExp).test(k)) found.add(k);
    keys = [...found].sort();
  }
  const out: Series[] = [];
  for (const key of keys) {
    const points: [number, number][] = [];
    for (const r of records) {
      const v = r[key];
      if (typeof v === 'number') points.push([r.step, v]);
    }
    if (points.length > 0) out.push({ key, points, ...(spec.markers ? { markers: true } : {}) });
  }
  return out;
}

/** Writes `<dir>/<name>.svg` for every chart the records have data for; returns the files. */
export function drawRunCharts(
  records: readonly MetricRecord[],
  dir: string,
  specs: readonly ChartSpec[] = RUN_CHARTS,
): string[] {
  return writeCharts(dir, specs, (spec) => chartSeries(records, spec));
}

/** Writes `<dir>/<name>.svg` for every spec whose series are not empty; returns the files. */
function writeCharts(
  dir: string,
  specs: readonly ChartSpec[],
  seriesOf: (spec: ChartSpec) => Series[],
): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const spec of specs) {
    const series = seriesOf(spec);
    if (series.length === 0) continue;
    const file = join(dir, `${spec.name}.svg`);
    writeFileSync(file, lineChartSvg(spec.title, series, chartOptions(spec)));
    written.push(file);
  }
  return written;
}

/**
 * The charts `trm plot` draws to compare runs: one metric each, one line per run (evaluation
 * metrics per evaluated set).
 */
export const COMPARISON_CHARTS: readonly ChartSpec[] = [
  {
    name: 'compare_train_lm_loss',
    title: 'Training loss (cross-entropy per token)',
    yLabel: 'loss',
    keys: ['train/lm_loss'],
  },
  {
    name: 'compare_train_exact_accuracy',
    title: 'Training exact accuracy (rows that halted)',
    yLabel: 'accuracy',
    keys: ['train/exact_accuracy'],
    yRange: [0, 1],
  },
  {
    name: 'compare_train_steps',
    title: 'Supervision steps used (halted rows)',
    yLabel: 'steps',
    keys: ['train/steps'],
  },
  {
    name: 'compare_eval_accuracy',
    title: 'Evaluation accuracy (cells)',
    yLabel: 'accuracy',
    keys: /^(?!train\/)[^/]+\/accuracy$/,
    markers: true,
    yRange: [0, 1],
  },
  {
    name: 'compare_eval_exact_accuracy',
    title: 'Evaluation exact accuracy (whole puzzles)',
    yLabel: 'accuracy',
    keys: /^(?!train\/)[^/]+\/exact_accuracy$/,
    markers: true,
    yRange: [0, 1],
  },
];

/** One run of a comparison: its label in the legend and its metric records. */
export interface LabelledRun {
  label: string;
  records: readonly MetricRecord[];
}

/**
 * Writes `<dir>/<name>.svg` for every comparison chart some run has data for, each run's
 * series named by its label (and the metric, when a chart shows several per run).
 */
export function drawComparisonCharts(
  runs: readonly LabelledRun[],
  dir: string,
  specs: readonly ChartSpec[] = COMPARISON_CHARTS,
): string[] {
  return writeCharts(dir, specs, (spec) => {
    const perRun = runs.map((run) => ({ run, series: chartSeries(run.records, spec) }));
    const several = perRun.some((r) => r.series.length > 1);
    return perRun.flatMap(({ run, series }) =>
      series.map((s) => ({ ...s, key: several ? `${run.label} ${s.key}` : run.label })),
    );
  });
}
