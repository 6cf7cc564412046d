#!/usr/bin/env node
// Renders the pictures and sample outputs of the guides at build time, with the real `trm`
// command (apps/cli/dist/cli.js), so that what a page shows is what the code does today:
//   src/public/generated/{sudoku,maze,arc}.svg   puzzles and solutions, by `trm show --svg`
//   src/public/generated/predictions.svg         a trained model's answers, `trm show --checkpoint`
//   src/public/generated/curves/*.svg            the curves of a real run, `trm plot`
//   src/public/generated/compare/*.svg           four architectures side by side, `trm plot A B …`
//   src/parts/sample-{eval,train,train-short}.md  what `trm eval` and `trm train` print
//   src/public/generated/demo/sudoku-4x4.safetensors  the model the live demo runs (src/demo.md)
// The model is the committed run in apps/docs/data/default-run/ (see its README.md); its test
// puzzles are regenerated here from the same seed. Outputs are git-ignored.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const docsDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = resolve(docsDir, '../..');
const cliJs = join(repoDir, 'apps', 'cli', 'dist', 'cli.js');
const out = join(docsDir, 'src', 'public', 'generated');
const parts = join(docsDir, 'src', 'parts');
const run = join(docsDir, 'data', 'default-run');
const comparison = join(docsDir, 'data', 'arch-comparison');
/** The runs of the comparison, by preset, in the order of the legends. */
const COMPARED = ['tiny-sudoku-att', 'tiny-sudoku-mlp', 'tiny-sudoku-hrm', 'tiny-sudoku-baseline'];
// The 4×4 Sudoku checkpoint the live demo (src/demo.md) runs in the reader's browser. Any
// safetensors checkpoint of a 4×4 Sudoku model will do: its header carries the architecture.
const DEMO_CHECKPOINT = join(docsDir, 'data', 'solvers', 'sudoku-4x4', 'model.safetensors');

/** Runs `trm` in `cwd`; returns stdout (stderr is shown only when it fails). */
function trm(cwd, ...args) {
  try {
    return execFileSync(process.execPath, [cliJs, ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HF_HUB_OFFLINE: '1', NO_COLOR: '1', TRM_COMMAND: 'pnpm trm' },
      maxBuffer: 64 << 20,
    });
  } catch (e) {
    process.stderr.write(`[docs] trm ${args.join(' ')} failed:\n${e.stderr ?? e.message}\n`);
    throw e;
  }
}

/** A few ARC-style puzzles (colours 0–9), enough to show how a task is drawn. */
function arcChallenges() {
  const flip = (g) => g.map((r) => [...r].reverse());
  const grids = [
    [
      [0, 3, 3, 0],
      [0, 3, 0, 0],
      [2, 2, 0, 1],
    ],
    [
      [5, 0, 0],
      [5, 5, 0],
      [0, 4, 4],
    ],
    [
      [7, 0, 0, 0, 6],
      [0, 7, 0, 6, 0],
      [0, 0, 8, 0, 0],
    ],
  ];
  const puzzle = {
    train: grids.slice(0, 2).map((g) => ({ input: g, output: flip(g) })),
    test: [{ input: grids[2] }],
  };
  return {
    challenges: { mirror01: puzzle, mirror02: { ...puzzle, test: [{ input: grids[0] }] } },
    solutions: { mirror01: [flip(grids[2])], mirror02: [flip(grids[0])] },
  };
}

/** The committed run's checkpoint file (`step_<N>.safetensors`; the run keeps only its last). */
function lastCheckpoint(dir) {
  const steps = readdirSync(dir)
    .map((f) => /^step_(\d+)\.safetensors$/.exec(f))
    .filter((m) => m !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1]));
  if (steps.length === 0) throw new Error(`${dir} holds no step_<N>.safetensors checkpoint`);
  return steps[0][0];
}

function main() {
  if (!existsSync(cliJs)) throw new Error(`${cliJs} is missing: build @trm/cli first`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'trm-docs-'));
  try {
    // Puzzles and their solutions.
    for (const [kind, size] of [
      ['sudoku', '9'],
      ['maze', '13'],
    ]) {
      const csv = `${kind}-csv`;
      trm(
        work,
        'generate',
        kind,
        '--size',
        size,
        '--count',
        '4',
        '--test-count',
        '2',
        '--seed',
        '7',
        '--output',
        csv,
      );
      trm(work, 'build-dataset', kind, '--source', csv, '--output-dir', kind);
      trm(work, 'show', kind, '--count', '1', '--svg', join(out, `${kind}.svg`));
    }
    const arc = arcChallenges();
    mkdirSync(join(work, 'arc'));
    for (const subset of ['training', 'evaluation']) {
      writeFileSync(
        join(work, 'arc', `demo_${subset}_challenges.json`),
        JSON.stringify(arc.challenges),
      );
      writeFileSync(
        join(work, 'arc', `demo_${subset}_solutions.json`),
        JSON.stringify(arc.solutions),
      );
    }
    trm(
      work,
      'build-dataset',
      'arc',
      '--input-file-prefix',
      'arc/demo',
      '--output-dir',
      'arc-ds',
      '--subsets',
      'training',
      'evaluation',
      '--test-set-name',
      'evaluation',
      '--num-aug',
      '0',
    );
    trm(work, 'show', 'arc-ds', '--count', '1', '--svg', join(out, 'arc.svg'));

    mkdirSync(join(out, 'demo'));
    cpSync(DEMO_CHECKPOINT, join(out, 'demo', 'sudoku-4x4.safetensors'));

    // The committed run: its curves, its answers and what evaluating it prints.
    trm(work, 'plot', run, '--out', join(out, 'curves'));
    // The architecture comparison (data/arch-comparison/README.md): one line per run.
    trm(
      work,
      'plot',
      ...COMPARED.map((preset) => join(comparison, preset)),
      '--out',
      join(out, 'compare'),
    );
    // Its test puzzles, regenerated from the preset's recipe (same seed, same puzzles).
    trm(
      work,
      'generate',
      'sudoku',
      '--size',
      '4',
      '--count',
      '1000',
      '--test-count',
      '200',
      '--seed',
      '0',
      '--output',
      'tiny-csv',
    );
    trm(
      work,
      'build-dataset',
      'sudoku',
      '--source',
      'tiny-csv',
      '--output-dir',
      'tiny',
      '--num-aug',
      '3',
      '--seed',
      '0',
    );
    const ckpt = join(work, 'ckpt');
    mkdirSync(ckpt);
    const last = lastCheckpoint(run);
    cpSync(join(run, last), join(ckpt, last));
    cpSync(join(run, 'all_config.yaml'), join(ckpt, 'all_config.yaml'));
    trm(
      work,
      'show',
      'tiny',
      '--count',
      '3',
      '--checkpoint',
      join(ckpt, last),
      '--svg',
      join(out, 'predictions.svg'),
    );
    const evalText = trm(
      work,
      'eval',
      '--checkpoint',
      join(ckpt, last),
      '--dataset',
      'tiny',
      '--outdir',
      'eval-out',
    );
    writeFileSync(
      join(parts, 'sample-eval.md'),
      [
        '```txt',
        `$ pnpm trm eval --checkpoint checkpoints/…/${last} --dataset data/sudoku-4x4-tiny`,
        evalText
          .replace(
            /^outputs: .*$/m,
            `outputs: checkpoints/…/eval_${last.replace(/\.safetensors$/, '')}`,
          )
          .trimEnd(),
        '```',
        '',
      ].join('\n'),
    );
    const log = readFileSync(join(run, 'output.txt'), 'utf8').trimEnd();
    const block = (text) => ['```txt', '$ pnpm trm train', text, '```', ''].join('\n');
    writeFileSync(join(parts, 'sample-train.md'), block(log));
    // The short version: the start, the first steps, then the end of the run.
    const lines = log.split('\n');
    const firstStep = lines.findIndex((l) => l.startsWith('step '));
    const finished = lines.findIndex((l) => l.startsWith('finished '));
    const short = [...lines.slice(0, firstStep + 3), '…', ...lines.slice(finished)];
    writeFileSync(join(parts, 'sample-train-short.md'), block(short.join('\n')));
    writeFileSync(
      join(parts, 'sample-train.md'),
      ['```txt', '$ pnpm trm train', log.trimEnd(), '```', ''].join('\n'),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`[docs] wrote ${out} and the sample outputs`);
}

main();
