import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSudoku4, checkpointTensors, TINY_ARCH, trm } from './helpers.js';

// 40 training puzzles at global batch 8, two epochs of one iteration each: exactly ten
// optimiser steps, with an evaluation and a checkpoint after steps 5 and 10. EMA and the sparse puzzle embedding
// are on, so every piece of the data-parallel step is exercised.
const TINY = [
  ...TINY_ARCH,
  'arch.halt_max_steps=3',
  'arch.puzzle_emb_len=1',
  'global_batch_size=8',
  'epochs=2',
  'eval_interval=1',
  'lr_warmup_steps=2',
  'ema=True',
  'evaluators=[{name: sudoku}]',
];

/**
 * Parameters after ten steps on N devices against one device. The only difference is the
 * order in which f32 gradient contributions are added (per-device partial sums, then the
 * all-reduce), so the bound is f32 round-off scaled by the learning rate's reach; measured:
 * ≤ 1e-9 with nearly every value bit-identical.
 */
const PARAM_TOL = 1e-6;
/** Evaluation losses are sums of per-device f32 sums: relative round-off. */
const LOSS_RTOL = 1e-6;

let work: string;
let data: string;
const env = { HF_HOME: '/nonexistent-hf-home', PATH: process.env.PATH ?? '' };

function lastEval(runDir: string): Record<string, number> {
  const records = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>)
    .filter((r) => 'all/accuracy' in r);
  const { time: _time, ...rest } = records.at(-1)!;
  return rest;
}

function expectSameMetrics(a: Record<string, number>, b: Record<string, number>): void {
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  for (const [k, v] of Object.entries(a)) {
    if (/loss/.test(k)) expect(Math.abs(b[k]! - v), k).toBeLessThanOrEqual(LOSS_RTOL * Math.abs(v));
    else expect(b[k], k).toBe(v);
  }
}

async function trainOn(devices: string | null, name: string, extraEnv = {}) {
  const runDir = join(work, 'runs', name);
  const started = Date.now();
  const r = await trm(
    [
      'train',
      '--preset',
      'none',
      ...(devices ? ['--devices', devices] : []),
      `data_paths=[${data}]`,
      ...TINY,
      `checkpoint_path=${runDir}`,
    ],
    { cwd: work, env: { ...env, ...extraEnv } },
  );
  return { ...r, runDir, seconds: (Date.now() - started) / 1000 };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'trm-dp-'));
  data = await buildSudoku4(work, { count: 40, testCount: 12, seed: 5, env });
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('trm train --devices N (one adapter, N devices)', () => {
  let single: Awaited<ReturnType<typeof trainOn>>;

  beforeAll(async () => {
    single = await trainOn(null, 'one');
    expect(single.code, single.stderr).toBe(0);
    expect(single.stdout).toMatch(/finished 10 steps/);
  }, 120_000);

  for (const n of [2, 4]) {
    it(`${n} devices: ten steps give the one-device parameters and evaluation`, async () => {
      const multi = await trainOn(String(n), `dp${n}`);
      expect(multi.code, multi.stderr).toBe(0);
      expect(multi.stdout).toMatch(/finished 10 steps/);
      expect(multi.stdout).toMatch(
        new RegExp(`gradient all-reduce over ${n} devices: [\\d.]+ ms per step`),
      );
      expect(multi.stderr).toMatch(new RegExp(`batch 8 \\(${8 / n} on each of ${n} devices\\)`));

      const a = await checkpointTensors(join(single.runDir, 'step_10.safetensors'));
      const b = await checkpointTensors(join(multi.runDir, 'step_10.safetensors'));
      expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
      let worst = 0;
      let identical = 0;
      let total = 0;
      for (const [key, x] of a) {
        const y = b.get(key)!;
        expect(y.length, key).toBe(x.length);
        for (let i = 0; i < x.length; i++) {
          const d = Math.abs(x[i]! - y[i]!);
          worst = Math.max(worst, d);
          identical += d === 0 ? 1 : 0;
          total++;
        }
      }
      expect(worst).toBeLessThanOrEqual(PARAM_TOL);
      // Not a tolerance that hides a systematic error: almost all values agree exactly.
      expect(identical / total).toBeGreaterThan(0.99);
      expectSameMetrics(lastEval(single.runDir), lastEval(multi.runDir));
      // Per-step training metrics are summed over ranks: the same curve.
      const steps = (dir: string) =>
        readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
          .filter((r) => 'train/count' in r)
          .map((r) => [r.step, r['train/count'], r['train/steps']]);
      expect(steps(multi.runDir)).toEqual(steps(single.runDir));
    }, 120_000);
  }

  it('--resume of a 2-device run continues it bit for bit', async () => {
    const again = await trainOn('2', 'dp2-again');
    expect(again.code, again.stderr).toBe(0);
    rmSync(join(again.runDir, 'step_10.safetensors'));
    rmSync(join(again.runDir, 'step_10.state.safetensors'));
    const resumed = await trm(['train', '--devices', '2', '--resume', again.runDir], {
      cwd: work,
      env,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming .* at step 5/);
    const a = await checkpointTensors(join(work, 'runs', 'dp2', 'step_10.safetensors'));
    const b = await checkpointTensors(join(again.runDir, 'step_10.safetensors'));
    for (const [key, x] of a) expect(b.get(key), key).toEqual(x);
  }, 120_000);

  it('trm eval --devices 2 gives the one-device metrics and outputs', async () => {
    const ckpt = join(single.runDir, 'step_10.safetensors');
    const run = (devices: string[], out: string) =>
      trm(
        ['eval', '--checkpoint', ckpt, '--dataset', data, '--outdir', join(work, out), ...devices],
        { cwd: work, env },
      );
    const one = await run([], 'eval1');
    const two = await run(['--devices', '2'], 'eval2');
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    const table = (s: string) =>
      s.split('\n').filter((l) => /^\s+\w+\//.test(l) && !/loss/.test(l));
    expect(table(two.stdout)).toEqual(table(one.stdout));
    expect(table(one.stdout).length).toBeGreaterThan(3);
    for (const f of ['preds.npy', 'inputs.npy', 'labels.npy', 'puzzle_identifiers.npy'])
      expect(readFileSync(join(work, 'eval2', f)), f).toEqual(readFileSync(join(work, 'eval1', f)));
  }, 120_000);
});

// TRM_TEST_FAIL_* are read by the test-only preload test/support/fault-injection.mjs, which
// vitest.config.ts loads into this process and so into the worker threads of the runs.
describe('failures', () => {
  it('a worker that throws stops the run within seconds with its rank and message', async () => {
    const r = await trainOn('4', 'failing', { TRM_TEST_FAIL_RANK: '2', TRM_TEST_FAIL_STEP: '3' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /device rank 2 of 4 failed: injected failure \(TRM_TEST_FAIL_RANK=2\) at step 3/,
    );
    expect(r.seconds).toBeLessThan(30);
  }, 60_000);

  it('a worker whose device is lost stops the run the same way', async () => {
    const r = await trainOn('2', 'lost', {
      TRM_TEST_FAIL_RANK: '1',
      TRM_TEST_FAIL_STEP: '2',
      TRM_TEST_FAIL_MODE: 'lose-device',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/device rank 1 of 2 failed: The WebGPU device was (lost|destroyed)/);
    expect(r.seconds).toBeLessThan(30);
  }, 60_000);

  it('a global batch that does not split evenly is refused before any worker starts', async () => {
    const r = await trainOn('3', 'uneven');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/global_batch_size 8 does not divide evenly over 3 devices/);
  });

  it('bad --devices values are usage errors', async () => {
    for (const [value, message] of [
      ['two', /expected a count/],
      ['5,', /there is no adapter 5/],
    ] as const) {
      const r = await trm(
        ['train', '--devices', value, '--preset', 'none', `data_paths=[${data}]`],
        {
          cwd: work,
          env,
        },
      );
      expect(r.code, value).toBe(2);
      expect(r.stderr, value).toMatch(message);
    }
  });
});
