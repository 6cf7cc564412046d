import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy } from '@trm/datasets';
import { IGNORE_LABEL, loadCheckpoint, saveSafetensors, stepMetrics } from '@trm/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { perStepChartSvg } from '../src/charts/eval-charts.js';
import { stepSums } from '../src/train/evaluate-model.js';
import { formatPerStepTable } from '../src/train/report.js';
import { TINY_ARCH, trainWithIdentifiers, trm } from './helpers.js';

describe('per-step bookkeeping', () => {
  it('stepSums adds what stepMetrics adds, in the same order, bit for bit', () => {
    const seqLen = 5;
    const labels = Int32Array.from([
      1,
      2,
      3,
      4,
      5,
      /**/ 1,
      1,
      IGNORE_LABEL,
      2,
      2,
      /**/ IGNORE_LABEL,
      IGNORE_LABEL,
      IGNORE_LABEL,
      IGNORE_LABEL,
      IGNORE_LABEL,
      /**/ 3,
      3,
      3,
      IGNORE_LABEL,
      1,
    ]);
    const preds = Int32Array.from([1, 2, 3, 4, 5, 1, 0, 9, 2, 0, 4, 4, 4, 4, 4, 3, 0, 0, 7, 0]);
    const rows = 4;
    const counted = new Int32Array(rows);
    const correct = new Int32Array(rows);
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] === IGNORE_LABEL) continue;
      counted[Math.floor(i / seqLen)]! += 1;
      if (preds[i] === labels[i]) correct[Math.floor(i / seqLen)]! += 1;
    }
    const m = stepMetrics({
      preds,
      labels,
      halted: new Uint8Array(rows).fill(1),
      steps: new Int32Array(rows).fill(3),
      qHalt: new Float32Array(rows),
      seqLen,
    });
    const sums = stepSums(correct, counted);
    expect(sums).toEqual({
      count: m.count,
      accuracy: m.accuracy,
      exact_accuracy: m.exact_accuracy,
    });
    // The row without answer tokens is not counted; `halted` counts rows halted by step `at`.
    const steps = Int32Array.from([1, 3, 1, 2]);
    expect(stepSums(correct, counted, { at: 1, last: { steps } }).halted).toBe(1);
    expect(stepSums(correct, counted, { at: 2, last: { steps } }).halted).toBe(2);
    expect(stepSums(correct, counted, { at: 3, last: { steps } }).halted).toBe(3);
  });

  it('the table has one line per step and the chart one series per metric', () => {
    const rows = [1, 2, 3].map((step) => ({
      step,
      metrics: {
        'all/accuracy': { value: step / 4 },
        'all/exact_accuracy': { value: step / 10 },
      },
    }));
    const table = formatPerStepTable(rows).split('\n');
    expect(table).toHaveLength(5);
    expect(table[1]).toMatch(/step\s+all\/accuracy\s+all\/exact_accuracy/);
    expect(table[4]).toMatch(/^\s+3\s+0\.7500\s+0\.3000$/);
    const svg = perStepChartSvg(
      rows.map((r) => ({ 'all/accuracy': r.step / 4, 'all/exact_accuracy': r.step / 10 })),
    );
    expect(svg).toMatch(/^<svg/);
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toContain('supervision step');
  });
});

// A tiny model trained with three supervision steps: 16 puzzles, batch 8, 4 optimiser steps.
const TINY = [
  ...TINY_ARCH,
  'arch.halt_max_steps=3',
  'arch.puzzle_emb_len=1',
  'global_batch_size=8',
  'epochs=2',
  'eval_interval=2',
  'lr_warmup_steps=1',
  'evaluators=[{name: sudoku}]',
];
const N = 3;
const ROWS = 8;
const SEQ = 16;
const env = { HF_HOME: '/nonexistent-hf-home', PATH: process.env.PATH ?? '' };
let work: string;
let data: string;
let runDir: string;
let ckpt: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'trm-depth-'));
  ({ data, runDir, ckpt } = await trainWithIdentifiers(work, TINY, env));
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Report {
  metrics: Record<string, { value: number }>;
  outputs: string[];
  per_step?: { step: number; metrics: Record<string, { value: number }> }[];
  act_inference?: { halt_max_steps: number; mean_steps: Record<string, number> };
}

async function evalWith(name: string, args: string[], checkpoint = ckpt) {
  const outdir = join(work, name);
  const r = await trm(
    ['eval', '--checkpoint', checkpoint, '--dataset', data, '--outdir', outdir, ...args],
    { cwd: work, env },
  );
  expect(r.code, r.stderr).toBe(0);
  return {
    ...r,
    outdir,
    report: JSON.parse(readFileSync(join(outdir, 'metrics.json'), 'utf8')) as Report,
    npy: (key: string) => Array.from(readNpy(join(outdir, `${key}.npy`)).data as ArrayLike<number>),
    file: (f: string) => readFileSync(join(outdir, f)),
  };
}

const value = (r: Report, key: string) => r.metrics[key]!.value;

describe('trm eval: test-time depth', () => {
  let plain: Awaited<ReturnType<typeof evalWith>>;
  let perStep: Awaited<ReturnType<typeof evalWith>>;

  beforeAll(async () => {
    plain = await evalWith('plain', []);
    perStep = await evalWith('per-step', ['--per-step']);
  }, 60_000);

  it('--per-step: one row per supervision step, the last equal to the plain evaluation', () => {
    const rows = perStep.report.per_step!;
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3]);
    const last = rows.at(-1)!.metrics;
    expect(last['all/accuracy']!.value).toBe(value(plain.report, 'all/accuracy'));
    expect(last['all/exact_accuracy']!.value).toBe(value(plain.report, 'all/exact_accuracy'));
    expect(Object.keys(last).sort()).toEqual(['all/accuracy', 'all/exact_accuracy']);
    // The main report is that of the plain evaluation.
    expect(perStep.report.metrics).toEqual(plain.report.metrics);
    expect(perStep.report.outputs).toContain('per_step.svg');
    expect(perStep.file('per_step.svg').toString()).toMatch(/^<svg[\s\S]*all\/exact_accuracy/);
    // The table on stdout: a header and N lines.
    const table = perStep.stdout.split('\n');
    const at = table.findIndex((l) => l.startsWith('per supervision step'));
    expect(table[at + 1]).toMatch(/step\s+all\/accuracy\s+all\/exact_accuracy/);
    for (let s = 1; s <= N; s++)
      expect(table[at + 1 + s]).toBe(
        `${`  ${String(s).padStart(4)}  `}${rows[s - 1]!.metrics['all/accuracy']!.value.toFixed(4).padEnd(12)}  ${rows[s - 1]!.metrics['all/exact_accuracy']!.value.toFixed(4)}`,
      );
  });

  it('without the new flags the outputs are what they were: no per_step, no chart', () => {
    expect(plain.report.per_step).toBeUndefined();
    expect(plain.report.act_inference).toBeUndefined();
    expect(existsSync(join(plain.outdir, 'per_step.svg'))).toBe(false);
    expect(plain.stdout).not.toMatch(/per supervision step|act inference/);
    expect(Object.keys(plain.report).sort()).toEqual(
      ['checkpoint', 'dataset', 'format', 'metrics', 'outputs', 'puzzles', 'seq_len'].sort(),
    );
  });

  it('arch.halt_max_steps=1 stops after one step: other predictions, the accuracy of step 1', async () => {
    const one = await evalWith('depth-1', ['arch.halt_max_steps=1']);
    expect(value(one.report, 'all/steps')).toBe(1);
    expect(one.npy('preds')).not.toEqual(plain.npy('preds'));
    const step1 = perStep.report.per_step![0]!.metrics;
    expect(value(one.report, 'all/accuracy')).toBe(step1['all/accuracy']!.value);
    expect(value(one.report, 'all/exact_accuracy')).toBe(step1['all/exact_accuracy']!.value);
  }, 60_000);

  it('arch.halt_max_steps beyond training continues from the same first steps', async () => {
    const five = await evalWith('depth-5', ['--per-step', 'arch.halt_max_steps=5']);
    expect(value(five.report, 'all/steps')).toBe(5);
    const rows = five.report.per_step!;
    expect(rows).toHaveLength(5);
    expect(rows.slice(0, N)).toEqual(perStep.report.per_step);
    expect(value(five.report, 'all/accuracy')).toBe(rows[4]!.metrics['all/accuracy']!.value);
  }, 60_000);

  it('arch.halt_max_steps applies to the architecture in the header without all_config.yaml', async () => {
    const alone = join(work, 'alone');
    mkdirSync(alone);
    copyFileSync(ckpt, join(alone, 'step_4.safetensors'));
    // Without all_config.yaml the config is the defaults (the ARC evaluator, batch 768).
    const one = await evalWith(
      'depth-1-alone',
      ['arch.halt_max_steps=1', 'evaluators=[]', '--global-batch-size', '8'],
      join(alone, 'step_4.safetensors'),
    );
    const withConfig = await evalWith('depth-1-again', ['arch.halt_max_steps=1']);
    expect(one.file('preds.npy')).toEqual(withConfig.file('preds.npy'));
    expect(value(one.report, 'all/steps')).toBe(1);
  }, 60_000);
});

describe('trm eval --act-inference', () => {
  /** A copy of the checkpoint whose Q head halts about half of the rows after one step. */
  let halting: string;
  const depth: number[][] = [];

  beforeAll(async () => {
    // The model halts on q_halt > 0 (arch.no_ACT_continue, the reference's default). Its
    // q_halt after one step, one per test puzzle, all far below 0 after 4 training steps:
    const first = await evalWith('q-first', [
      'arch.halt_max_steps=1',
      '--eval-save-outputs',
      'q_halt_logits',
    ]);
    const qHalt = first.npy('q_halt_logits').sort((a, b) => a - b);
    expect(qHalt[3], 'distinct values to split at').toBeLessThan(qHalt[4]!);
    // Shift q_halt so that the four largest become positive.
    const shift = -(qHalt[3]! + qHalt[4]!) / 2;
    const dir = join(work, 'halting');
    mkdirSync(dir);
    copyFileSync(join(runDir, 'all_config.yaml'), join(dir, 'all_config.yaml'));
    const source = await loadCheckpoint(ckpt);
    const tensors = new Map(
      [...source.tensors].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: t.data }]),
    );
    const bias = Float32Array.from(tensors.get('model.inner.q_head.bias')!.data as Float32Array);
    bias[0]! += shift;
    tensors.set('model.inner.q_head.bias', { dtype: 'F32', shape: [2], data: bias });
    halting = join(dir, 'step_4.safetensors');
    await saveSafetensors(halting, tensors as never, source.metadata);
    for (let d = 1; d <= N; d++)
      depth[d] = (await evalWith(`halting-depth-${d}`, [`arch.halt_max_steps=${d}`], halting)).npy(
        'preds',
      );
  }, 120_000);

  it('scores each row with its predictions at the step its Q head halted it', async () => {
    const act = await evalWith(
      'act',
      ['--act-inference', '--eval-save-outputs', 'preds', 'labels', 'steps'],
      halting,
    );
    const steps = act.npy('steps');
    expect(steps).toHaveLength(ROWS);
    expect(steps.filter((s) => s === 1)).toHaveLength(4);
    expect(steps.every((s) => s >= 1 && s <= N)).toBe(true);
    const preds = act.npy('preds');
    const labels = act.npy('labels');
    let accuracy = 0;
    let exact = 0;
    for (let r = 0; r < ROWS; r++) {
      const row = preds.slice(r * SEQ, (r + 1) * SEQ);
      expect(row, `row ${r} halted at ${steps[r]}`).toEqual(
        depth[steps[r]!]!.slice(r * SEQ, (r + 1) * SEQ),
      );
      const right = row.filter((p, i) => p === labels[r * SEQ + i]).length;
      accuracy += right / SEQ / ROWS;
      exact += right === SEQ ? 1 / ROWS : 0;
    }
    expect(value(act.report, 'all/accuracy')).toBeCloseTo(accuracy, 12);
    expect(value(act.report, 'all/exact_accuracy')).toBeCloseTo(exact, 12);
    // The mean number of steps used, in the metrics, the report and on stdout.
    const mean = steps.reduce((a, b) => a + b, 0) / ROWS;
    expect(mean).toBeLessThan(N);
    expect(value(act.report, 'all/steps')).toBe(mean);
    expect(act.report.act_inference).toEqual({ halt_max_steps: N, mean_steps: { all: mean } });
    expect(act.stdout).toContain(`${mean.toFixed(2)} (all) of ${N} supervision steps`);
    // Losses are sums at one step over every row: not reported when rows stop apart.
    expect(Object.keys(act.report.metrics).some((k) => k.endsWith('loss'))).toBe(false);
  }, 60_000);

  it('arch.no_ACT_continue=False halts on q_halt > q_continue instead', async () => {
    // q_continue stays near its initial -5, far below the shifted q_halt: every row halts
    // after one step.
    const act = await evalWith(
      'act-continue',
      ['--act-inference', 'arch.no_ACT_continue=False', '--eval-save-outputs', 'preds', 'steps'],
      halting,
    );
    expect(act.npy('steps')).toEqual(new Array(ROWS).fill(1));
    expect(act.npy('preds')).toEqual(depth[1]);
    expect(value(act.report, 'all/steps')).toBe(1);
  }, 60_000);

  it('--per-step with --act-inference: the fraction halted by each step, up to 1', async () => {
    const both = await evalWith('act-per-step', ['--act-inference', '--per-step'], halting);
    const halted = both.report.per_step!.map((r) => r.metrics['all/halted']!.value);
    expect(halted).toHaveLength(N);
    expect(halted[0]).toBe(0.5);
    expect(halted.at(-1)).toBe(1);
    for (let s = 1; s < N; s++) expect(halted[s]).toBeGreaterThanOrEqual(halted[s - 1]!);
    expect(both.report.act_inference!.mean_steps.all).toBeLessThanOrEqual(N);
  }, 60_000);

  it('on 2 devices: the same report and outputs as on one', async () => {
    const flags = [
      '--act-inference',
      '--per-step',
      '--puzzle-ids',
      'shuffled',
      '--eval-save-outputs',
      'preds',
      'puzzle_identifiers',
      'steps',
      'logits',
    ];
    const one = await evalWith('dp-1', flags, halting);
    const two = await evalWith('dp-2', [...flags, '--devices', '2'], halting);
    expect(two.report).toEqual(one.report);
    for (const f of ['preds.npy', 'puzzle_identifiers.npy', 'steps.npy', 'logits.npy'])
      expect(two.file(f), f).toEqual(one.file(f));
  }, 120_000);
});
