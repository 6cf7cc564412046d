import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PuzzleDataset, readNpy } from '@trm/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSudoku4,
  checkpointTensors,
  TINY_ARCH,
  trm,
  withPuzzleIdentifiers,
} from './helpers.js';

// Where trm follows the reference trainer and evaluator to the letter, on tiny 4×4 Sudoku runs:
// 16 training puzzles, batch 4, one epoch → 4 optimiser steps.
const TINY = [
  ...TINY_ARCH,
  'arch.halt_max_steps=2',
  'arch.puzzle_emb_len=1',
  'global_batch_size=4',
  'epochs=1',
  'eval_interval=1',
];
const env = { HF_HOME: '/nonexistent-hf-home', PATH: process.env.PATH ?? '' };
let work: string;
/** A Sudoku dataset: 16 training puzzles, 8 test puzzles, no test_puzzles.json. */
let data: string;
/** Another: 16 training puzzles, 4 test puzzles. */
let other: string;
/** A run with the default evaluators and lr = 0: its checkpoint holds the initial weights. */
let fresh: { code: number; stderr: string; runDir: string };

async function train(name: string, args: readonly string[]) {
  const runDir = join(work, 'runs', name);
  const r = await trm(
    ['train', '--preset', 'none', ...TINY, ...args, `checkpoint_path=${runDir}`],
    { cwd: work, env },
  );
  return { ...r, runDir };
}

/** `trm eval` of the fresh run's checkpoint on the first dataset, into `evals/<name>`. */
async function evalFresh(name: string, ...flags: string[]) {
  const outdir = join(work, 'evals', name);
  const checkpoint = join(fresh.runDir, 'step_4.safetensors');
  const args = ['eval', '--checkpoint', checkpoint, '--dataset', data, '--outdir', outdir];
  return { ...(await trm([...args, ...flags], { cwd: work, env })), outdir };
}

async function evalJson(name: string, ...flags: string[]) {
  const r = await evalFresh(name, '--json', ...flags);
  expect(r.code, r.stderr).toBe(0);
  return { ...r, report: JSON.parse(r.stdout) };
}

beforeAll(async () => {
  // Not helpers' tempDir(): that one is removed after every test, and these tests share runs.
  work = mkdtempSync(join(tmpdir(), 'trm-semantics-'));
  data = await buildSudoku4(work, { count: 16, testCount: 8, seed: 3, env });
  const second = join(work, 'second');
  mkdirSync(second);
  other = await buildSudoku4(second, { count: 16, testCount: 4, seed: 4, env });
  // No evaluators= override: the default is the reference's [{name: arc@ARC}].
  fresh = await train('fresh', [`data_paths=[${data}]`, 'lr=0', 'puzzle_emb_lr=0']);
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the default arc@ARC evaluator on a dataset that is not ARC', () => {
  it('trm train skips it with a one-line note and trains', () => {
    expect(fresh.code, fresh.stderr).toBe(0);
    const notes = fresh.stderr.split('\n').filter((l) => l.includes('arc@ARC'));
    expect(notes).toEqual([
      `evaluator arc@ARC skipped for ${data}: it has no test_puzzles.json (not a dataset this evaluator applies to)`,
    ]);
    expect(existsSync(join(fresh.runDir, 'step_4.safetensors'))).toBe(true);
  });

  it('trm eval skips it too (the README evaluates its Maze checkpoint this way)', async () => {
    const r = await evalJson('default-evaluators');
    expect(r.stderr).toContain('evaluator arc@ARC skipped for');
    expect(Object.keys(r.report.metrics).some((k) => k.startsWith('ARC/'))).toBe(false);
  }, 60_000);
});

describe('evaluation metrics', () => {
  it('divides every metric, the losses too, by the count of scored rows, as the reference does', async () => {
    // 8 test puzzles: one full batch of 8, or batches of 3, 3 and 2 + 1 padding row.
    const whole = (await evalJson('gbs8', '--global-batch-size', '8')).report.metrics;
    const thirds = (await evalJson('gbs3', '--global-batch-size', '3')).report.metrics;
    // lm_loss is a sum over real rows only: the same mean whatever the batching (it would be
    // 8/9 of it divided by global_batch_size × batches).
    expect(thirds['all/lm_loss'].value).toBeCloseTo(whole['all/lm_loss'].value, 5);
    // The q head of the untrained model gives q_halt = -5 on every row; the padding row, whose
    // every cell is ignored, counts as solved and adds BCE(-5, 1) to the sum, which the
    // reference still divides by the 8 scored rows.
    const softplus = (x: number) => Math.log1p(Math.exp(x));
    const solved = thirds['all/exact_accuracy'].value * 8;
    const expected = ((8 - solved) * softplus(-5) + (solved + 1) * softplus(5)) / 8;
    expect(thirds['all/q_halt_loss'].value).toBeCloseTo(expected, 5);
  }, 90_000);
});

describe('trm eval --one-batch', () => {
  it('evaluates one batch drawn as training draws it, with the N of what it scored', async () => {
    const r = await evalJson(
      'one-batch',
      '--one-batch',
      '--global-batch-size',
      '4',
      '--eval-save-outputs',
      'inputs',
    );
    const drawn = new PuzzleDataset({
      datasetPaths: [data],
      split: 'test',
      globalBatchSize: 4,
      seed: 0,
      testSetMode: false,
    }).iterTrain();
    const batch = drawn.next().value!.batch;
    const inputs = readNpy(join(r.outdir, 'inputs.npy'));
    expect(inputs.shape).toEqual([4, 16]);
    expect(Array.from(inputs.data as Int32Array)).toEqual(Array.from(batch.inputs));
    const inOrder = new PuzzleDataset({ datasetPaths: [data], split: 'test', globalBatchSize: 4 })
      .iterTest()
      .next().value!.batch;
    expect(Array.from(batch.inputs), 'a random batch, not the first 4 puzzles').not.toEqual(
      Array.from(inOrder.inputs),
    );
    expect(r.report.puzzles).toBe(4);
    expect(r.report.metrics['all/exact_accuracy'].n).toBe(4);
    expect(r.report.metrics['all/accuracy'].n).toBe(4 * 16);
    expect(r.stderr).toContain(
      'one batch: 4 examples of the test split drawn at random as training draws them (seed 0)',
    );
  }, 60_000);

  it('exits 2 when the test split cannot fill one batch, writing nothing', async () => {
    const r = await evalFresh('one-batch-too-big', '--one-batch', '--global-batch-size', '16');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `--one-batch draws one batch of 16 examples from the test split of ${data} as training does`,
    );
    expect(r.stderr).toContain('its 8 groups cannot fill one. Pass a smaller --global-batch-size.');
    expect(existsSync(r.outdir)).toBe(false);
  });
});

describe('several datasets in data_paths', () => {
  it('every dataset gets its evaluators, each scoring its own sets', async () => {
    const r = await train('merged', [
      `data_paths=[${data},${other}]`,
      'evaluators=[{name: sudoku}]',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const last = readFileSync(join(r.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((m) => 'all/accuracy' in m)
      .at(-1);
    // 8 test puzzles in the first dataset (set all), 4 in the second (set all1).
    expect(last['sudoku/N']).toBe(8);
    expect(last['sudoku1/N']).toBe(4);
    expect(last).toHaveProperty('sudoku1/valid_solution_rate');
    expect(last).toHaveProperty('all1/accuracy');
    // Each set's exact accuracy is an interval over its own dataset's test puzzles.
    expect(r.stdout).toMatch(/ all\/exact_accuracy .*\(N=8\)/);
    expect(r.stdout).toMatch(/ all1\/exact_accuracy .*\(N=4\)/);
  }, 90_000);

  it('refuses datasets with different num_puzzle_identifiers (exit 2), naming both and their values', async () => {
    const third = join(work, 'third');
    mkdirSync(third);
    const ids = await buildSudoku4(third, { count: 8, testCount: 2, seed: 5, env });
    await withPuzzleIdentifiers(ids, 4);
    const r = await train('refused', [`data_paths=[${data},${ids}]`, 'evaluators=[]']);
    expect(r.code).toBe(2);
    const message = r.stderr.trim();
    expect(message).toContain(`Cannot merge ${ids} with ${data}:`);
    expect(message).toContain('has num_puzzle_identifiers 5 but');
    expect(message).toContain('has 1.');
    expect(message).not.toMatch(/\n\s*\n/);
    expect(existsSync(r.runDir)).toBe(false);
  }, 60_000);
});

describe('freeze_weights', () => {
  it('with puzzle_emb_ndim=0 trains every weight with AdamATan2, as the reference', async () => {
    const common = [`data_paths=[${data}]`, 'arch.puzzle_emb_ndim=0', 'evaluators=[]'];
    const fast = ['lr=1e-2', 'lr_warmup_steps=1'];
    const frozen = await train('frozen', [...common, ...fast, 'freeze_weights=True']);
    const free = await train('free', [...common, ...fast]);
    const still = await train('still', [...common, 'lr=0']);
    for (const r of [frozen, free, still]) expect(r.code, r.stderr).toBe(0);
    const a = await checkpointTensors(join(frozen.runDir, 'step_4.safetensors'));
    const b = await checkpointTensors(join(free.runDir, 'step_4.safetensors'));
    const c = await checkpointTensors(join(still.runDir, 'step_4.safetensors'));
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [name, t] of a) expect(t, name).toEqual(b.get(name));
    const qkv = [...a.keys()].find((k) => k.includes('qkv_proj'))!;
    expect(a.get(qkv), 'the weights moved').not.toEqual(c.get(qkv));
  }, 120_000);
});
