/**
 * The chart of `trm eval --per-step`: accuracy and exact accuracy after each supervision step
 * (and, with `--act-inference`, the fraction of rows the Q head had halted by then).
 */
import { lineChartSvg, type Series } from './svg.js';

/** The per-step chart as an SVG document; `perStep[s - 1]` holds step s's flat metrics. */
export function perStepChartSvg(perStep: readonly Record<string, number>[]): string {
  const keys = [...new Set(perStep.flatMap((m) => Object.keys(m)))];
  const series: Series[] = keys.map((key) => ({
    key,
    points: perStep.map((m, i) => [i + 1, m[key] ?? Number.NaN] as const),
    markers: true,
  }));
  return lineChartSvg('Accuracy after each supervision step', series, {
    xLabel: 'supervision step',
    yLabel: 'accuracy',
    yRange: [0, 1],
    integerX: true,
  });
}
