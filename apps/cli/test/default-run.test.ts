import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shippedConfigDir } from '../src/index.js';
import { tempDir, trm } from './helpers.js';

/**
 * The shipped tiny-sudoku preset with its data and schedule shrunk to CI size: `key: value`
 * lines replaced, every other line (architecture, optimiser, halting) kept as shipped.
 */
function ciSizedDefault(sizes: Record<string, number>): string {
  let text = readFileSync(join(shippedConfigDir(), 'presets', 'tiny-sudoku.yaml'), 'utf8');
  for (const [key, value] of Object.entries(sizes)) {
    const line = new RegExp(`^(\\s*${key}:) .*$`, 'm');
    expect(text, `tiny-sudoku.yaml has no '${key}:' line`).toMatch(line);
    text = text.replace(line, `$1 ${value}`);
  }
  return text;
}

describe('the default run at CI size', () => {
  it('`trm train` generates its data, trains, and reports exact accuracy with its interval', async () => {
    const cwd = tempDir();
    const configDir = join(cwd, 'config');
    mkdirSync(join(configDir, 'presets'), { recursive: true });
    writeFileSync(
      join(configDir, 'presets', 'tiny-sudoku.yaml'),
      // 64 puzzles at the preset's batch of 32: 2 steps, then one evaluation of 8 puzzles.
      ciSizedDefault({ count: 64, test_count: 8, epochs: 1, eval_interval: 1 }),
    );
    const r = await trm(['train', '--config-dir', configDir], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toContain('preset tiny-sudoku');
    expect(out).toMatch(/Preparing \S*data\/sudoku-4x4-tiny: 64 \+ 8 generated 4x4 Sudokus/);
    expect(out).toMatch(/finished 2 steps/);
    expect(out).toMatch(
      /all\/exact_accuracy +\d\.\d{4} \[\d\.\d{4}, \d\.\d{4}\] \(N=8\) +\(95% Wilson interval\)/,
    );
    const last = /last checkpoint: (\S+)/.exec(out)?.[1];
    expect(last && existsSync(resolve(cwd, last))).toBe(true);
  }, 120_000);
});
