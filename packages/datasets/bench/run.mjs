// Benchmarks of @trm/datasets on the built dist (run `pnpm build` first):
//   1. Sudoku builder: subsampleSize 1000, numAug 1000 (1,001,000 train examples) from a
//      generated 9×9 CSV, the reference README's job. Reports examples/s, seconds and the
//      builder process's peak RSS (measured in a child process so generation is excluded).
//   2. Loader: training batches/s at global batch 768 over the built dataset, and the
//      sequential test iterator's batches/s.
// Usage: node bench/run.mjs [--keep]   (TRM_BENCH_DIR overrides the scratch directory)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/index.js', import.meta.url);
if (!existsSync(fileURLToPath(dist))) {
  console.error('dist/index.js not found: run `pnpm build` first');
  process.exit(1);
}
const lib = await import(dist.href);
const mode = process.argv[2];

if (mode === '--child-build') {
  const [src, out] = process.argv.slice(3);
  const t0 = performance.now();
  const res = await lib.buildSudokuDataset({
    source: src,
    outputDir: out,
    subsampleSize: 1000,
    numAug: 1000,
    seed: 0,
    overwrite: true,
  });
  const seconds = (performance.now() - t0) / 1000;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({
      seconds,
      examples: res.train.examples + res.test.examples,
      trainExamples: res.train.examples,
      peakRssMiB,
    }),
  );
} else if (mode === '--child-load') {
  const [out] = process.argv.slice(3);
  const t0 = performance.now();
  const train = new lib.PuzzleDataset({
    datasetPaths: [out],
    split: 'train',
    globalBatchSize: 768,
    seed: 0,
    epochsPerIter: 400,
  });
  train.preload();
  const loadSeconds = (performance.now() - t0) / 1000;
  let t = performance.now();
  let trainBatches = 0;
  for (const _ of train.iterTrain()) trainBatches++;
  const trainSeconds = (performance.now() - t) / 1000;
  const test = new lib.PuzzleDataset({
    datasetPaths: [out],
    split: 'train',
    testSetMode: true,
    globalBatchSize: 768,
  });
  test.preload();
  t = performance.now();
  let testBatches = 0;
  for (const _ of test.iterTest()) testBatches++;
  const testSeconds = (performance.now() - t) / 1000;
  console.log(
    JSON.stringify({
      loadSeconds,
      trainBatches,
      trainBatchesPerSecond: trainBatches / trainSeconds,
      testBatches,
      testBatchesPerSecond: testBatches / testSeconds,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  );
} else {
  const root = process.env.TRM_BENCH_DIR ?? join(tmpdir(), 'trm-datasets-bench');
  const src = join(root, 'sudoku-9x9-src');
  const out = join(root, 'sudoku-extreme-1k-aug-1000');
  mkdirSync(root, { recursive: true });
  if (!existsSync(join(src, 'test.csv'))) {
    const t0 = performance.now();
    lib.writePuzzleCsvSplits(src, lib.generateSudokus(1000, 1), lib.generateSudokus(1000, 2));
    console.log(
      `generated 2 × 1000 9×9 puzzles in ${((performance.now() - t0) / 1000).toFixed(1)} s (not timed below)`,
    );
  }
  const self = fileURLToPath(import.meta.url);
  const run = (args) =>
    JSON.parse(
      execFileSync(process.execPath, [self, ...args], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .pop(),
    );
  const b = run(['--child-build', src, out]);
  const l = run(['--child-load', out]);
  const rows = [
    [
      'Sudoku build, subsample 1000 × numAug 1000',
      `${b.trainExamples.toLocaleString('en-US')} train examples`,
    ],
    ['build time', `${b.seconds.toFixed(2)} s`],
    [
      'build throughput',
      `${Math.round(b.trainExamples / b.seconds).toLocaleString('en-US')} examples/s`,
    ],
    ['build peak RSS', `${b.peakRssMiB.toFixed(0)} MiB`],
    ['loader: read 1,001,000 × 81 dataset', `${l.loadSeconds.toFixed(2)} s`],
    [
      'loader: train batches/s (batch 768)',
      `${l.trainBatchesPerSecond.toFixed(0)} (${l.trainBatches} batches)`,
    ],
    [
      'loader: test batches/s (batch 768)',
      `${l.testBatchesPerSecond.toFixed(0)} (${l.testBatches} batches)`,
    ],
    ['loader peak RSS', `${l.peakRssMiB.toFixed(0)} MiB`],
  ];
  console.log('| measure | value |\n| --- | --- |');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  const ok = b.seconds < 14 && b.peakRssMiB < 512;
  console.log(ok ? 'targets met (< 14 s, < 512 MiB)' : 'TARGETS MISSED (< 14 s, < 512 MiB)');
  if (!process.argv.includes('--keep')) rmSync(out, { recursive: true, force: true });
  if (!ok) process.exitCode = 1;
}
