import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartSeries, type MetricRecord, RUN_CHARTS } from '../src/charts/run-charts.js';
import { lineChartSvg, niceTicks, thin } from '../src/charts/svg.js';
import { RunLog } from '../src/train/run-log.js';
import { tempDir } from './helpers.js';

describe('RunLog on a long run', () => {
  it('draws charts and rewinds a 100,000-step metrics.jsonl in seconds', () => {
    const dir = tempDir();
    const lines: string[] = [];
    for (let step = 1; step <= 100_000; step++) {
      const r: Record<string, unknown> = {
        step,
        time: '2026-12-04T00:00:00.000Z',
        'train/lm_loss': 2 / Math.sqrt(step),
        'train/q_halt_loss': 0.1,
        'train/lr': 1e-4,
      };
      // No row halted on odd steps: no accuracy there.
      if (step % 2 === 0) r['train/accuracy'] = 0.5;
      if (step % 5000 === 0) r['all/exact_accuracy'] = step / 100_000;
      lines.push(JSON.stringify(r));
    }
    writeFileSync(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
    const started = Date.now();
    const log = new RunLog(dir);
    const files = log.writeCharts().map((f) => f.split('/').pop());
    expect(files).toEqual([
      'train_lm_loss.svg',
      'train_halt_loss.svg',
      'train_accuracy.svg',
      'lr.svg',
      'eval_accuracy.svg',
    ]);
    const svg = readFileSync(join(dir, 'charts', 'train_lm_loss.svg'), 'utf8');
    // Thinned to what a chart can show, so the file stays small; x ticks up to 100k.
    expect(svg.length).toBeLessThan(120_000);
    expect(svg).toContain('>100k<');
    // Evaluations are marked points.
    const evalSvg = readFileSync(join(dir, 'charts', 'eval_accuracy.svg'), 'utf8');
    expect(evalSvg.match(/<circle/g)).toHaveLength(20);
    log.truncateAfter(50_000);
    expect(log.read()).toHaveLength(50_000);
    expect(new RunLog(dir).read()).toHaveLength(50_000);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('never plots a step without halted rows as zero accuracy', () => {
    const records: MetricRecord[] = [
      { step: 1, time: '', 'train/lm_loss': 1 },
      { step: 2, time: '', 'train/lm_loss': 1, 'train/accuracy': 0.4 },
    ];
    const spec = RUN_CHARTS.find((c) => c.name === 'train_accuracy')!;
    expect(chartSeries(records, spec)).toEqual([{ key: 'train/accuracy', points: [[2, 0.4]] }]);
  });

  it('thin keeps the ends and the shape of a curve', () => {
    const pts = Array.from({ length: 10_000 }, (_, i) => [i, i * 2] as const);
    const t = thin(pts, 100);
    expect(t).toHaveLength(100);
    expect(t[0]![1]).toBeCloseTo(t[0]![0] * 2);
    expect(t.at(-1)![0]).toBeGreaterThan(9_800);
    expect(thin(pts.slice(0, 5), 100)).toHaveLength(5);
  });

  it('picks round ticks', () => {
    expect(niceTicks(0, 100_000, 6)).toEqual([0, 20_000, 40_000, 60_000, 80_000, 100_000]);
    expect(niceTicks(0.13, 0.92)).toEqual([0.2, 0.4, 0.6, 0.8]);
  });

  it('draws a chart whose values are all missing without failing', () => {
    const svg = lineChartSvg('x', [
      {
        key: 'a',
        points: [
          [1, Number.NaN],
          [2, Number.NaN],
        ],
      },
    ]);
    expect(svg).toContain('<svg');
    expect(svg).not.toContain('<path');
  });
});
