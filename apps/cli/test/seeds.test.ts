import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { SeedMetric } from '../src/train/seed-summary.js';
import { buildSudoku4, TINY_ARCH, trainOn, trm } from './helpers.js';

// 16 puzzles, batch 8, one epoch: 2 optimiser steps and the final evaluation per seed.
const TINY = [
  ...TINY_ARCH,
  'arch.halt_max_steps=2',
  'arch.puzzle_emb_len=1',
  'global_batch_size=8',
  'epochs=1',
  'eval_interval=1',
  'lr_warmup_steps=1',
  'lr=1e-2',
  'evaluators=[{name: sudoku}]',
];
const env = { HF_HOME: '/nonexistent-hf-home', PATH: process.env.PATH ?? '' };
let work: string;
let data: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'trm-seeds-'));
  data = await buildSudoku4(work, { count: 16, testCount: 8, seed: 3, env });
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const train = (runDir: string, ...extra: string[]) =>
  trainOn(work, data, runDir, [...TINY, ...extra], env);

/** The last evaluation record of a run's metrics.jsonl, read here independently of trm. */
function finalEvaluation(runDir: string): Record<string, number> {
  const records = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number | string>);
  const last = records.filter((r) => 'all/accuracy' in r).at(-1)!;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(last)) if (k !== 'step' && k !== 'time') out[k] = v as number;
  return out;
}

/** The 95% Wilson score interval, written out from its formula. */
function wilson(correct: number, n: number): [number, number] {
  const z = 1.96;
  const p = correct / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return [p === 0 ? 0 : centre - half, p === 1 ? 1 : centre + half];
}

describe('trm train --seeds', () => {
  it('refuses a bad list, a seed= override and --resume with one paragraph, writing nothing', async () => {
    const runDir = join(work, 'refused');
    for (const [seeds, why] of [
      ['0,,1', /--seeds 0,,1: entry 2 is empty/],
      ['0,a', /'a' is not a whole number/],
      ['0,-1', /-1 is negative/],
      ['1,2,1', /seed 1 is listed twice/],
      ['', /entry 1 is empty/],
    ] as const) {
      const r = await train(runDir, '--seeds', seeds);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toContain('such as --seeds 0,1,2');
    }
    const clash = await train(runDir, '--seeds', '0,1', 'seed=3');
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/--seeds and the override seed=3 both set the seed/);
    const resume = await trm(['train', '--seeds', '0,1', '--resume', runDir], { cwd: work, env });
    expect(resume.code).toBe(2);
    expect(resume.stderr).toMatch(/--seeds starts new runs and --resume continues one/);
    expect(existsSync(runDir)).toBe(false);
  });

  it('trains one run per seed and summarises their final evaluations', async () => {
    const base = join(work, 'three');
    const r = await train(base, '--seeds', '0,1,2');
    expect(r.code, r.stderr).toBe(0);
    const seeds = [0, 1, 2];
    const finals = seeds.map((s) => {
      const dir = join(base, `seed-${s}`);
      expect(existsSync(join(dir, 'step_2.safetensors'))).toBe(true);
      const config = parseYaml(readFileSync(join(dir, 'all_config.yaml'), 'utf8'));
      expect(config.seed).toBe(s);
      expect(config.checkpoint_path).toBe(dir);
      return finalEvaluation(dir);
    });
    // Different seeds, different models.
    expect(new Set(finals.map((f) => f['all/lm_loss'])).size).toBe(3);

    const summary = JSON.parse(readFileSync(join(base, 'seeds_summary.json'), 'utf8'));
    expect(summary.seeds).toEqual(seeds);
    expect(summary.trials).toEqual({ puzzles: 8, seqLen: 16 });
    expect(Object.keys(summary.metrics).sort()).toEqual(Object.keys(finals[0]!).sort());
    for (const [key, m] of Object.entries(summary.metrics) as [string, SeedMetric][]) {
      const values = finals.map((f) => f[key]!);
      expect(m.values).toEqual(values);
      const mean = (values[0]! + values[1]! + values[2]!) / 3;
      const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / 2);
      expect(m.mean).toBeCloseTo(mean, 12);
      expect(m.std).toBeCloseTo(std, 12);
      // Accuracies: every seed's correct count (rate × trials) added up.
      const trials = key.endsWith('exact_accuracy') ? 8 : key === 'all/accuracy' ? 8 * 16 : null;
      if (trials === null) {
        expect(m.pooled).toBeUndefined();
        continue;
      }
      const correct = values.reduce((a, v) => a + Math.round(v * trials), 0);
      const pooled = m.pooled!;
      expect(pooled.correct).toBe(correct);
      expect(pooled.trials).toBe(3 * trials);
      expect(pooled.value).toBeCloseTo(correct / (3 * trials), 12);
      const [low, high] = wilson(correct, 3 * trials);
      expect(pooled.ci95[0]).toBeCloseTo(low, 12);
      expect(pooled.ci95[1]).toBeCloseTo(high, 12);
    }
    const exact = summary.metrics['all/exact_accuracy'] as SeedMetric;
    expect(r.stdout).toContain('final evaluation over 3 seeds');
    expect(r.stdout).toMatch(/all\/exact_accuracy\s+\S+ ± \S+/);
    expect(r.stdout).toContain(`(N=${exact.pooled!.trials})`);
    const md = readFileSync(join(base, 'seeds_summary.md'), 'utf8');
    expect(md).toContain('| metric | mean ± std | seed 0 | seed 1 | seed 2 |');
    expect(md).toContain('`all/exact_accuracy`');

    // The runs are not trained over without --overwrite.
    const mtime = statSync(join(base, 'seeds_summary.json')).mtimeMs;
    const again = await train(base, '--seeds', '0,1,2');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/is not empty .*--overwrite/s);
    expect(again.stderr).toContain('seed-0/, seed-1/, seed-2/');
    expect(statSync(join(base, 'seeds_summary.json')).mtimeMs).toBe(mtime);
  }, 300_000);
});
