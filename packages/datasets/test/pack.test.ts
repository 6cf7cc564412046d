import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_DIR, tempDir } from './helpers.js';

/**
 * Packs the package, installs the tarball into a project outside the workspace and uses it
 * there, proving it works standalone (no workspace links, no other @trm/* packages).
 */
describe('standalone use of the packed package', () => {
  const dir = tempDir('trm-datasets-pack-');
  let tarball: string;

  beforeAll(() => {
    // Build into a private copy of the package so a concurrent `pnpm build` of dist/ (turbo
    // may run this package's build and test at the same time) cannot race with this test.
    const pkg = join(dir, 'pkg');
    mkdirSync(pkg);
    for (const f of ['package.json', 'README.md', 'LICENSE'])
      cpSync(join(PACKAGE_DIR, f), join(pkg, f));
    execFileSync('pnpm', ['exec', 'tsup', '--out-dir', join(pkg, 'dist')], {
      cwd: PACKAGE_DIR,
      stdio: 'ignore',
    });
    execFileSync('pnpm', ['pack', '--pack-destination', dir], { cwd: pkg, stdio: 'ignore' });
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error('pnpm pack produced no tarball');
    tarball = join(dir, tgz);
  });

  it('installs with npm and builds and loads a dataset', () => {
    const project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], {
      cwd: project,
      stdio: 'ignore',
    });
    expect(existsSync(join(project, 'node_modules', '@trm', 'datasets', 'dist', 'index.js'))).toBe(
      true,
    );
    expect(existsSync(join(project, 'node_modules', '@trm', 'datasets', 'src'))).toBe(false);
    writeFileSync(
      join(project, 'main.mjs'),
      `
import { buildSudokuDataset, generateSudokus, PuzzleDataset, validateDataset, writePuzzleCsvSplits } from '@trm/datasets';
writePuzzleCsvSplits('src', generateSudokus(8, 1), generateSudokus(2, 2));
await buildSudokuDataset({ source: 'src', outputDir: 'data/sudoku', numAug: 3 });
const report = validateDataset('data/sudoku');
const ds = new PuzzleDataset({ datasetPaths: ['data/sudoku'], split: 'train', globalBatchSize: 4, seed: 0 });
const first = ds.iterTrain().next().value;
console.log(JSON.stringify({ ok: report.ok, rows: first.batch.inputs.length, ids: first.batch.puzzleIdentifiers.length }));
`,
    );
    const out = execFileSync('node', ['main.mjs'], { cwd: project, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ ok: true, rows: 4 * 81, ids: 4 });
  });
});
