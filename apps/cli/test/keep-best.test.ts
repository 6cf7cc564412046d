import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSudoku4, TINY_ARCH, trainOn, trm } from './helpers.js';

// 16 puzzles, batch 8: 2 optimiser steps per epoch, an evaluation after each epoch.
const TINY = [
  ...TINY_ARCH,
  'arch.halt_max_steps=2',
  'arch.puzzle_emb_len=1',
  'global_batch_size=8',
  'eval_interval=1',
  'lr_warmup_steps=1',
  'lr=1e-2',
  'evaluators=[{name: sudoku}]',
];

let work: string;
let data: string;
const env = { HF_HOME: '/nonexistent-hf-home', PATH: process.env.PATH ?? '' };

interface BestJson {
  metric: string;
  mode: string;
  best: { step: number; value: number; file: string } | null;
  kept: { step: number; value: number; file: string }[];
  evals_without_improvement: number;
  history: { step: number; value: number }[];
}

const bestJson = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'best.json'), 'utf8')) as BestJson;
const bestFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith('best_step_'))
    .sort();
const evalRecords = (dir: string): Record<string, number>[] =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => 'all/accuracy' in r);

async function trainRun(name: string, extra: string[]) {
  const runDir = join(work, 'runs', name);
  return { ...(await trainOn(work, data, runDir, [...TINY, ...extra], env)), runDir };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'trm-best-'));
  data = await buildSudoku4(work, { count: 16, testCount: 8, seed: 3, env });
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('checkpoint_keep_best', () => {
  it('K=1 keeps exactly the one best checkpoint that best.json names', async () => {
    const r = await trainRun('k1', [
      'epochs=3',
      'checkpoint_keep_best=1',
      'checkpoint_metric=all/lm_loss',
      'checkpoint_metric_mode=min',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const evals = evalRecords(r.runDir);
    expect(evals.map((e) => e.step)).toEqual([2, 4, 6]);
    const best = bestJson(r.runDir);
    const bestEval = evals.reduce((a, b) => (b['all/lm_loss']! < a['all/lm_loss']! ? b : a));
    expect(best.metric).toBe('all/lm_loss');
    expect(best.kept).toHaveLength(1);
    expect(best.best).toEqual(best.kept[0]);
    expect(best.best!.step).toBe(bestEval.step);
    expect(best.best!.value).toBeCloseTo(bestEval['all/lm_loss']!, 6);
    expect(bestFiles(r.runDir)).toEqual([
      `best_step_${bestEval.step}.safetensors`,
      `best_step_${bestEval.step}.state.safetensors`,
    ]);
    expect(best.best!.file).toBe(`best_step_${bestEval.step}.safetensors`);
    expect(best.history.map((h) => h.step)).toEqual([2, 4, 6]);
    // The usual checkpoints are all still there.
    for (const s of [2, 4, 6])
      expect(existsSync(join(r.runDir, `step_${s}.safetensors`))).toBe(true);
  }, 300_000);

  it('--resume restores best.json: the resumed run ends with the same list and counter', async () => {
    const extra = ['epochs=3', 'checkpoint_keep_best=2', 'early_stop_patience=5'];
    const straight = await trainRun('straight', extra);
    expect(straight.code, straight.stderr).toBe(0);
    // A run killed after the checkpoint of step 4: best.json then is the one of step 4; the
    // files of step 6 were never written.
    const killed = await trainRun('killed', extra);
    expect(killed.code, killed.stderr).toBe(0);
    for (const f of ['step_6.safetensors', 'step_6.state.safetensors'])
      rmSync(join(killed.runDir, f));
    // A file of the user's that looks like a best checkpoint but is not listed: never touched.
    writeFileSync(join(killed.runDir, 'best_step_1.safetensors'), 'mine');
    const resumed = await trm(['train', '--resume', killed.runDir], { cwd: work, env });
    expect(readFileSync(join(killed.runDir, 'best_step_1.safetensors'), 'utf8')).toBe('mine');
    rmSync(join(killed.runDir, 'best_step_1.safetensors'));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming .* at step 4/);
    expect(bestJson(killed.runDir)).toEqual(bestJson(straight.runDir));
    expect(bestFiles(killed.runDir)).toEqual(bestFiles(straight.runDir));
    expect(bestJson(straight.runDir).kept).toHaveLength(2);
  }, 400_000);
});

describe('early_stop_patience', () => {
  it('a metric that never improves with P=1 stops after two evaluations, with a checkpoint', async () => {
    // Every evaluation row runs halt_max_steps steps: all/steps never changes.
    const r = await trainRun('stop', [
      'epochs=4',
      'checkpoint_every_eval=false',
      'early_stop_patience=1',
      'checkpoint_metric=all/steps',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(evalRecords(r.runDir).map((e) => e.step)).toEqual([2, 4]);
    expect(r.stderr).toMatch(
      /early stop: all\/steps has not improved \(max\) for 1 evaluation \(early_stop_patience=1; best 2 at step 2\)/,
    );
    expect(r.stdout).toMatch(/finished 4 steps/);
    // The final checkpoint is saved as a run end saves it (checkpoint_every_eval is off).
    expect(
      readdirSync(r.runDir)
        .filter((f) => /^step_/.test(f))
        .sort(),
    ).toEqual(['step_4.safetensors', 'step_4.state.safetensors']);
    expect(bestJson(r.runDir).evals_without_improvement).toBe(1);
    expect(bestFiles(r.runDir)).toEqual([]);
  }, 300_000);
});

describe('bad values exit 2 naming the key, before the run directory exists', () => {
  for (const [args, key] of [
    [['checkpoint_keep_best=-1'], 'checkpoint_keep_best'],
    [['checkpoint_keep_best=1', 'checkpoint_metric_mode=highest'], 'checkpoint_metric_mode'],
    [['early_stop_patience=-1'], 'early_stop_patience'],
    [['checkpoint_keep_best=1', 'checkpoint_metric=exact_accuracy'], 'checkpoint_metric'],
    [['checkpoint_keep_best=1', 'checkpoint_metric=all/bogus'], 'checkpoint_metric'],
    [['early_stop_patience=1', 'checkpoint_metric=arc/pass@1'], 'checkpoint_metric'],
  ] as const) {
    it(args.join(' '), async () => {
      const name = `bad-${args.join('-').replace(/[^a-z0-9]+/gi, '_')}`;
      const r = await trainRun(name, ['epochs=1', ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(key);
      expect(r.stderr.trim().split('\n\n')).toHaveLength(1);
      expect(existsSync(r.runDir)).toBe(false);
    }, 120_000);
  }
});
