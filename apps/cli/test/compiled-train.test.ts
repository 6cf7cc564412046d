import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSudoku4, checkpointTensors, TINY_RUN, trainOn } from './helpers.js';

const env = { HF_HOME: '/nonexistent-hf-home', PATH: process.env.PATH ?? '' };
let work: string;
let data: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'trm-compiled-'));
  data = await buildSudoku4(work, { count: 16, testCount: 8, seed: 5, env });
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every record of a run's metrics.jsonl without its wall-clock fields. */
function metrics(runDir: string): Record<string, unknown>[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      for (const k of Object.keys(r)) if (/time|per_sec|_ms$|seconds/.test(k)) delete r[k];
      return r;
    });
}

/** A tiny run (4 steps, EMA on, evaluated at the end) with step capture on or off. */
async function run(name: string, compile: boolean) {
  const runDir = join(work, name);
  const previous = process.env.TRM_COMPILE;
  if (compile) delete process.env.TRM_COMPILE;
  else process.env.TRM_COMPILE = '0';
  try {
    const r = await trainOn(work, data, runDir, [...TINY_RUN, 'ema=true', 'lr=1e-2'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/not compiled/);
  } finally {
    if (previous === undefined) delete process.env.TRM_COMPILE;
    else process.env.TRM_COMPILE = previous;
  }
  return {
    metrics: metrics(runDir),
    weights: await checkpointTensors(join(runDir, 'step_4.safetensors')),
  };
}

describe('trm train with compiled steps', () => {
  it('trains and evaluates bit for bit as the eager steps do (TRM_COMPILE=0)', async () => {
    const eager = await run('eager', false);
    const compiled = await run('compiled', true);
    expect(compiled.metrics).toEqual(eager.metrics);
    expect(compiled.metrics.some((m) => 'train/lm_loss' in m)).toBe(true);
    expect(compiled.metrics.some((m) => 'all/accuracy' in m)).toBe(true);
    expect([...compiled.weights.keys()]).toEqual([...eager.weights.keys()]);
    for (const [name, w] of eager.weights) expect(compiled.weights.get(name), name).toEqual(w);
  }, 300_000);
});
