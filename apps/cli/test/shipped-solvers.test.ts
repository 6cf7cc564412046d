/**
 * The solvers the docs ship (apps/docs/data/solvers/<kind>/model.safetensors, each recorded in
 * its README.md) load in `trm show --checkpoint` and answer puzzles of their kind: a few fresh
 * puzzles are generated and built with the CLI itself, and the answers shown are checked.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir, trm } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const solvers = resolve(here, '..', '..', 'docs', 'data', 'solvers');

/**
 * Each shipped solver with the CLI's words for its puzzles, the seed of three fresh test
 * puzzles (a solver's own data are seed 0), and how many of the three it got entirely right
 * when it was committed (at least that many must come out right; one that loaded wrongly
 * would get none).
 */
const SOLVERS = [
  { name: 'sudoku-4x4', kind: 'sudoku', size: 4, seed: 11, solved: 3, grid: /\d \d \| \d \d/ },
  {
    name: 'sudoku-6x6',
    kind: 'sudoku',
    size: 6,
    seed: 12,
    solved: 2,
    grid: /\d \d \d \| \d \d \d/,
  },
  { name: 'maze-5x5', kind: 'maze', size: 5, seed: 11, solved: 1, grid: /[#SGo ]{5}/ },
] as const;

describe('the shipped solvers in trm show --checkpoint', () => {
  it.each(SOLVERS)(
    '$name answers fresh puzzles of its kind',
    async ({ name, kind, size, seed, solved, grid }) => {
      const cwd = tempDir();
      const gen = await trm(
        [
          'generate',
          kind,
          '--size',
          String(size),
          '--count',
          '1',
          '--test-count',
          '3',
          '--seed',
          String(seed),
          '--output',
          'csv',
        ],
        { cwd },
      );
      expect(gen.code, gen.stderr).toBe(0);
      const build = await trm(['build-dataset', kind, '--source', 'csv', '--output-dir', 'ds'], {
        cwd,
      });
      expect(build.code, build.stderr).toBe(0);
      const checkpoint = join(solvers, name, 'model.safetensors');
      const show = await trm(['show', 'ds', '--count', '3', '--checkpoint', checkpoint], { cwd });
      expect(show.code, show.stderr).toBe(0);
      for (let i = 0; i < 3; i++) expect(show.stdout).toContain(`test/all #${i} input`);
      expect(show.stdout.match(/prediction/g)).toHaveLength(3);
      expect(show.stdout).toMatch(grid);
      const right = show.stdout.match(/matches the reference/g)?.length ?? 0;
      const wrong = show.stdout.match(/differ from the reference/g)?.length ?? 0;
      expect(right + wrong).toBe(3);
      expect(right).toBeGreaterThanOrEqual(solved);
    },
  );
});
