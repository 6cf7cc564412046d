import { describe, expect, it } from 'vitest';
import { renderChart, renderMarkdown, stepGroups } from '../src/report.mjs';
import { throughput } from '../src/training.mjs';

const results = {
  date: '2026-12-04',
  command: 'pnpm bench',
  mode: 'quick',
  machine: '2 CPU cores',
  adapter: {
    vendor: 'mesa',
    architecture: 'software',
    description: 'llvmpipe',
    features: ['shader-f16', 'timestamp-query'],
    limits: { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 27 },
  },
  torch: { version: '1.13', device: 'cpu', threads: 1, sdpa: 'unavailable', compile: 'no' },
  steps: [
    {
      shape: 'tiny',
      label: 'tiny',
      batch: 32,
      impl: 'trm-f32',
      precision: 'f32',
      msPerStep: 400,
      examplesPerSecond: 80,
      kernelMsPerStep: 300,
      hostMs: 40,
      dispatches: 280,
      copies: 20,
      submits: 19,
      fusedMiB: 12.5,
      peakMiB: 67,
    },
    {
      shape: 'tiny',
      label: 'tiny',
      batch: 32,
      impl: 'torch-eager-bf16',
      precision: 'bfloat16',
      msPerStep: 200,
      examplesPerSecond: 160,
    },
    {
      shape: 'tiny',
      label: 'tiny',
      batch: 32,
      impl: 'torch-compiled-bf16',
      skipped: 'unavailable',
    },
    {
      shape: 'tiny',
      label: 'tiny',
      batch: 32,
      impl: 'base-f32',
      precision: 'f32',
      msPerStep: 1000,
      dispatches: 1120,
      hostMs: 160,
    },
    {
      shape: 'paper-att',
      label: 'paper | att',
      batch: 64,
      impl: 'trm-f32',
      skipped: 'skipped by --quick',
    },
  ],
  matmulTuning: [
    { layout: 'NT', tiling: 'shared 64×64×16', ms: 0.5, chosen: true, error: null },
    { layout: 'NT', tiling: 'shared 8×8×4', ms: null, chosen: false, error: 'does not compile' },
  ],
  base: 'abc1234',
  trainingModel: 'reduced',
  training: [
    {
      preset: 'sudoku-mlp',
      implLabel: 'trm f32',
      batch: 16,
      steps: 4,
      stepsPerSecond: 0.5,
      evalExamplesPerSecond: 3,
    },
    { preset: 'sudoku-att', implLabel: 'trm f32', batch: 16, error: 'trm train failed (exit 1)' },
  ],
  notes: [],
};

describe('renderMarkdown', () => {
  it('puts the implementations side by side with the ratio to PyTorch eager bf16', () => {
    const md = renderMarkdown(results);
    expect(md).toContain('| tiny | 32 | 400 ms | 200 ms | unavailable | 0.50× |');
    // A skipped shape is a row saying so; a pipe in a label never breaks the table.
    expect(md).toContain('| paper / att | 64 | skipped by --quick | — | — | — |');
    expect(md).toContain(
      '| tiny | 32 | trm f32 | 400 | 300 | 40.0 | 280 | 20 | 19 | 12.5 | 67.0 |',
    );
    expect(md).toContain('| sudoku-mlp | trm f32 | 16 | 4 | 0.50 | 8.00 | 3.00 |');
    // the --base checkout beside this one: 1000 → 400 ms, 1120 → 280 dispatches
    expect(md).toContain('same f32 step of abc1234');
    expect(md).toContain(
      '| tiny | 32 | 1,000 | 400 | — | 2.50× | 1,120 | 280 | 0.25× | 160 | — | — |',
    );
    expect(md).toContain('| sudoku-att | trm f32 | 16 | — | failed | — | — |');
    expect(md).toContain('- sudoku-att trm f32: trm train failed (exit 1)');
    expect(md).toContain('| NT | **shared 64×64×16** | 0.500 |');
    expect(md).toContain('| NT | shared 8×8×4 | failed: does not compile |');
    expect(md).not.toMatch(/[<>]/);
  });
});

describe('renderChart', () => {
  it('draws one bar per measured implementation, on a log scale', () => {
    const svg = renderChart(results);
    expect(svg.startsWith('<svg')).toBe(true);
    // Bars start at the axis (x 190) below the legend (y 24).
    expect(svg.match(/<rect x="190" y="(?!24")/g)).toHaveLength(2);
    expect(svg).toContain('>80.0<');
    expect(svg).toContain('>160<');
    expect(svg).toContain('>unavailable<');
    expect(stepGroups(results.steps)).toHaveLength(2);
  });
});

describe('throughput', () => {
  it('leaves out the first step and takes the evaluation time from the log line', () => {
    const steps = [0, 10, 11, 12].map((s, i) => ({
      step: i + 1,
      time: new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString(),
    }));
    const evalRecord = { time: new Date(Date.UTC(2026, 0, 1, 0, 0, 20)).toISOString() };
    const r = throughput(steps, evalRecord, 'evaluating step 4 done: 2 in 4.0s', 16);
    expect(r.steps).toBe(4);
    expect(r.stepsPerSecond).toBeCloseTo(3 / 12);
    expect(r.evalExamplesPerSecond).toBe(4);
    expect(throughput(steps, evalRecord, '', 16).evalSeconds).toBe(8);
  });
});
