import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, trm } from './helpers.js';

/** A run directory with a few training records and two evaluations. */
function fakeRun(dir: string, loss: number): void {
  mkdirSync(dir, { recursive: true });
  const lines = [1, 2, 3, 4].map((step) =>
    JSON.stringify({
      step,
      time: '2026-12-04T00:00:00.000Z',
      'train/lm_loss': loss / step,
      'train/exact_accuracy': step / 10,
      'train/steps': 2,
      ...(step % 2 === 0 ? { 'all/accuracy': step / 5, 'all/exact_accuracy': step / 8 } : {}),
    }),
  );
  writeFileSync(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n`);
}

describe('trm plot with several runs', () => {
  it('draws one chart per metric with one line per run', async () => {
    const cwd = tempDir();
    fakeRun(join(cwd, 'runs/tiny-sudoku'), 2);
    fakeRun(join(cwd, 'runs/tiny-sudoku-hrm'), 3);
    const r = await trm(['plot', 'runs/tiny-sudoku', 'runs/tiny-sudoku-hrm', '--out', 'cmp'], {
      cwd,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('tiny-sudoku-hrm: 4 records up to step 4');
    for (const name of [
      'compare_train_lm_loss',
      'compare_train_exact_accuracy',
      'compare_train_steps',
      'compare_eval_accuracy',
      'compare_eval_exact_accuracy',
    ]) {
      const svg = readFileSync(join(cwd, 'cmp', `${name}.svg`), 'utf8');
      expect(svg, name).toContain('>tiny-sudoku<');
      expect(svg, name).toContain('>tiny-sudoku-hrm<');
    }
  });

  it('labels runs by their path when their names coincide', async () => {
    const cwd = tempDir();
    fakeRun(join(cwd, 'a/run'), 2);
    fakeRun(join(cwd, 'b/run'), 3);
    const r = await trm(['plot', 'a/run', 'b/run', '--out', 'cmp'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const svg = readFileSync(join(cwd, 'cmp', 'compare_train_lm_loss.svg'), 'utf8');
    expect(svg).toContain('>a/run<');
    expect(svg).toContain('>b/run<');
  });

  it('needs --out, refuses --html and checks every run before writing', async () => {
    const cwd = tempDir();
    fakeRun(join(cwd, 'a'), 2);
    fakeRun(join(cwd, 'b'), 2);
    const noOut = await trm(['plot', 'a', 'b'], { cwd });
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/needs --out DIR/);
    const html = await trm(['plot', 'a', 'b', '--out', 'c', '--html'], { cwd });
    expect(html.code).toBe(2);
    const missing = await trm(['plot', 'a', 'nope', '--out', 'c'], { cwd });
    expect(missing.code).toBe(2);
    expect(existsSync(join(cwd, 'c'))).toBe(false);
  });
});
