import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModelCheckpoint } from '@trm/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestResumePoint } from '../src/train/checkpoints.js';
import { buildSudoku4, checkpointTensors, FAULT_INJECTION, TINY_ARCH, trm } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const cliJs = join(here, '../dist/cli.js');

// A model small enough to train in seconds on lavapipe: 16 puzzles, batch 8, 2 iterations of
// 1 epoch → 4 optimiser steps, an evaluation and a checkpoint after steps 2 and 4.
const TINY = [
  ...TINY_ARCH,
  'arch.halt_max_steps=2',
  'arch.puzzle_emb_len=1',
  'global_batch_size=8',
  'epochs=2',
  'eval_interval=1',
  'lr_warmup_steps=1',
  'ema=True',
  'evaluators=[{name: sudoku}]',
];

let work: string;
let data: string;
const env = { HF_HOME: '/nonexistent-hf-home', PATH: process.env.PATH ?? '' };

function evalRecords(runDir: string): Record<string, number>[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => 'all/accuracy' in r);
}

async function trainRun(name: string, extra: string[] = []) {
  const runDir = join(work, 'runs', name);
  const r = await trm(
    [
      'train',
      '--preset',
      'none',
      `data_paths=[${data}]`,
      ...TINY,
      `checkpoint_path=${runDir}`,
      ...extra,
    ],
    { cwd: work, env },
  );
  return { ...r, runDir };
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  // Not helpers' tempDir(): that one is removed after every test, and these tests share a run.
  work = mkdtempSync(join(tmpdir(), 'trm-e2e-'));
  data = await buildSudoku4(work, { count: 16, testCount: 8, seed: 3, env });
}, 120_000);

describe('trm train → checkpoint → --resume → trm eval', () => {
  let straight: Awaited<ReturnType<typeof trainRun>>;

  beforeAll(async () => {
    straight = await trainRun('straight');
    expect(straight.code, straight.stderr + straight.stdout).toBe(0);
  }, 300_000);

  it('writes checkpoints, all_config.yaml, metrics.jsonl and charts', () => {
    const files = readdirSync(straight.runDir);
    for (const f of [
      'all_config.yaml',
      'metrics.jsonl',
      'step_2.safetensors',
      'step_2.state.safetensors',
      'step_4.safetensors',
      'step_4.state.safetensors',
    ]) {
      expect(files, f).toContain(f);
    }
    expect(readdirSync(join(straight.runDir, 'charts'))).toEqual(
      expect.arrayContaining([
        'train_lm_loss.svg',
        'train_accuracy.svg',
        'lr.svg',
        'eval_accuracy.svg',
      ]),
    );
    const lines = readFileSync(join(straight.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0].num_params).toBeGreaterThan(0);
    expect(lines.filter((l) => 'train/lm_loss' in l).map((l) => l.step)).toEqual([1, 2, 3, 4]);
    expect(evalRecords(straight.runDir).map((r) => r.step)).toEqual([2, 4]);
    expect(straight.stdout).toMatch(/finished 4 steps/);
    expect(straight.stdout).toMatch(/all\/exact_accuracy .*95% Wilson interval/);
  });

  it('--resume continues the step count and reproduces the uninterrupted run bit for bit', async () => {
    const second = await trainRun('resumed');
    expect(second.code).toBe(0);
    // Rewind to after the first iteration: drop the last checkpoint.
    rmSync(join(second.runDir, 'step_4.safetensors'));
    rmSync(join(second.runDir, 'step_4.state.safetensors'));
    const resumed = await trm(['train', '--resume', second.runDir], { cwd: work, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming .* at step 2/);
    const a = await checkpointTensors(join(straight.runDir, 'step_4.safetensors'));
    const b = await checkpointTensors(join(second.runDir, 'step_4.safetensors'));
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, v] of a) expect(b.get(k), k).toEqual(v);
    const sa = await checkpointTensors(join(straight.runDir, 'step_4.state.safetensors'));
    const sb = await checkpointTensors(join(second.runDir, 'step_4.state.safetensors'));
    for (const [k, v] of sa) expect(sb.get(k), k).toEqual(v);
    const steps = readFileSync(join(second.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).step);
    expect(steps.filter((s) => s === 3)).toHaveLength(1); // no duplicated records after the resume
  }, 300_000);

  it('trm eval on the checkpoint reproduces the metrics the run reported, and saves outputs', async () => {
    const outdir = join(work, 'eval-out');
    const r = await trm(
      [
        'eval',
        '--checkpoint',
        join(straight.runDir, 'step_4.safetensors'),
        '--dataset',
        data,
        '--outdir',
        outdir,
      ],
      { cwd: work, env },
    );
    expect(r.code, r.stderr).toBe(0);
    const reported = evalRecords(straight.runDir).at(-1)!;
    for (const key of [
      'all/accuracy',
      'all/exact_accuracy',
      'all/lm_loss',
      'sudoku/valid_solution_rate',
    ]) {
      const m = new RegExp(`${key.replace('/', '\\/')}\\s+([0-9.]+)`).exec(r.stdout);
      expect(m, `${key} in\n${r.stdout}`).not.toBeNull();
      expect(Number(m![1])).toBeCloseTo(reported[key]!, 4);
    }
    for (const f of ['inputs.npy', 'labels.npy', 'puzzle_identifiers.npy', 'preds.npy'])
      expect(existsSync(join(outdir, f)), f).toBe(true);
  }, 120_000);

  it("trm show --checkpoint renders the model's predictions next to the labels", async () => {
    const r = await trm(
      ['show', data, '--count', '2', '--checkpoint', join(straight.runDir, 'step_4.safetensors')],
      { cwd: work, env },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pred/i);
  }, 120_000);

  it('--no-apply-ema evaluates the trained weights instead of the EMA shadow', async () => {
    const path = join(straight.runDir, 'step_4.safetensors');
    const ema = await readModelCheckpoint(path);
    const state = await checkpointTensors(join(straight.runDir, 'step_4.state.safetensors'));
    const key = 'model.inner.lm_head.weight';
    expect(state.get(`raw/${key}`)).not.toEqual(ema.weights.get(key)!.data);
  });
});

describe('bad input: one paragraph, exit code 2, nothing written', () => {
  it.each([
    ['an unknown override key', ['arch.hidden_sise=16'], /hidden_sise.*hidden_size/s],
    ['a malformed value', ['epochs=abc'], /epochs/],
    ['a missing dataset directory', ['data_paths=[/nonexistent/dataset]'], /not found/],
  ])(
    'train with %s',
    async (_label, override, message) => {
      const { runDir, ...r } = await trainRun(`bad-${_label.replace(/\W+/g, '-')}`, override);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(existsSync(runDir)).toBe(false);
    },
    60_000,
  );

  it('eval of a checkpoint with the wrong architecture names the keys', async () => {
    const ckpt = join(work, 'runs', 'straight', 'step_4.safetensors');
    const outdir = join(work, 'eval-wrong');
    const r = await trm(
      ['eval', '--checkpoint', ckpt, '--dataset', data, '--outdir', outdir, 'arch.hidden_size=32'],
      { cwd: work, env },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/wrong shapes: model\.inner\./);
    expect(existsSync(outdir)).toBe(false);
  }, 60_000);

  it('eval on a dataset whose vocabulary disagrees with the checkpoint', async () => {
    // 9x9 Sudoku tokens (vocabulary 11) against a model trained on 4x4 ones (vocabulary 6).
    const big = join(work, 'data', 'sudoku9');
    const csv = join(work, 'sudoku9-csv');
    expect(
      (
        await trm(
          [
            'generate',
            'sudoku',
            '--size',
            '9',
            '--count',
            '4',
            '--test-count',
            '2',
            '--output',
            csv,
          ],
          { cwd: work, env },
        )
      ).code,
    ).toBe(0);
    expect(
      (
        await trm(['build-dataset', 'sudoku', '--source', csv, '--output-dir', big], {
          cwd: work,
          env,
        })
      ).code,
    ).toBe(0);
    const outdir = join(work, 'eval-sudoku9');
    const ckpt = join(work, 'runs', 'straight', 'step_4.safetensors');
    const r = await trm(['eval', '--checkpoint', ckpt, '--dataset', big, '--outdir', outdir], {
      cwd: work,
      env,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/vocabulary/);
    expect(existsSync(outdir)).toBe(false);
  }, 60_000);
});

describe('kill test', () => {
  it('SIGKILL in the middle of a checkpoint write leaves the previous checkpoint loadable', async () => {
    const runDir = join(work, 'runs', 'killed');
    const child = spawn(
      process.execPath,
      [
        '--import',
        FAULT_INJECTION,
        cliJs,
        'train',
        '--preset',
        'none',
        `data_paths=[${data}]`,
        ...TINY,
        `checkpoint_path=${runDir}`,
      ],
      {
        cwd: work,
        env: { ...process.env, ...env, TRM_TEST_PAUSE_CHECKPOINT: '4' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no pause marker:\n${stderr}`)), 240_000);
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('TRM_TEST_CHECKPOINT_PAUSED 4')) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`exited before the pause:\n${stderr}`)));
    });
    await new Promise((resolve) => child.on('close', resolve));
    // The newest *complete* checkpoint is step 2; step 4 was cut off half-way.
    expect(existsSync(join(runDir, 'step_4.safetensors'))).toBe(false);
    const point = await latestResumePoint(runDir);
    expect(point?.step).toBe(2);
    const resumed = await trm(['train', '--resume', runDir], { cwd: work, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(existsSync(join(runDir, 'step_4.safetensors'))).toBe(true);
  }, 300_000);
});
