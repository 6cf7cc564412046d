/**
 * The valid inputs every case starts from, made once per run with the real CLI: generated
 * Sudoku and maze CSVs, a built 4×4 Sudoku dataset, a two-step training run with its
 * safetensors checkpoint, the same weights as a `torch.save` file, and a tiny ARC set. Cases
 * copy what they break into their own directory; the fixtures themselves must never change.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '@trm/model';
import { CLI } from './harness.js';
import { torchSaveF32 } from './torch-writer.js';

/** Architecture overrides for a model that trains in seconds on lavapipe. */
export const TINY_ARCH = [
  'arch.hidden_size=16',
  'arch.num_heads=2',
  'arch.expansion=2',
  'arch.L_layers=1',
  'arch.H_cycles=1',
  'arch.L_cycles=1',
  'arch.halt_max_steps=2',
];

/** Paths of the shared fixtures. */
export interface Fixtures {
  root: string;
  sudokuCsv: string;
  mazeCsv: string;
  dataset: string;
  mazeDataset: string;
  run: string;
  checkpoint: string;
  pt: string;
  arcPrefix: string;
}

function trm(cwd: string, argv: string[]): void {
  execFileSync(process.execPath, [CLI, ...argv], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, HF_HUB_OFFLINE: '1' },
  });
}

/** Builds every fixture under `root`. */
export async function makeFixtures(root: string): Promise<Fixtures> {
  mkdirSync(root, { recursive: true });
  const f: Fixtures = {
    root,
    sudokuCsv: join(root, 'sudoku-csv'),
    mazeCsv: join(root, 'maze-csv'),
    dataset: join(root, 'sudoku4'),
    mazeDataset: join(root, 'maze5'),
    run: join(root, 'run'),
    checkpoint: '',
    pt: join(root, 'weights.pt'),
    arcPrefix: join(root, 'arc', 'mini'),
  };
  const gen = ['--count', '24', '--test-count', '8', '--seed', '1'];
  trm(root, ['generate', 'sudoku', '--size', '4', ...gen, '--output', f.sudokuCsv]);
  trm(root, ['generate', 'maze', '--size', '5', ...gen, '--output', f.mazeCsv]);
  trm(root, ['build-dataset', 'sudoku', '--source', f.sudokuCsv, '--output-dir', f.dataset]);
  trm(root, ['build-dataset', 'maze', '--source', f.mazeCsv, '--output-dir', f.mazeDataset]);
  trm(root, [
    'train',
    `data_paths=[${f.dataset}]`,
    `checkpoint_path=${f.run}`,
    'global_batch_size=8',
    'epochs=2',
    'eval_interval=2',
    'lr_warmup_steps=1',
    ...TINY_ARCH,
  ]);
  const step = readdirSync(f.run).find((n) => /^step_\d+\.safetensors$/.test(n));
  if (!step) throw new Error(`fixture run ${f.run} wrote no checkpoint`);
  f.checkpoint = join(f.run, step);

  const ckpt = await loadCheckpoint(f.checkpoint);
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of ckpt.tensors) {
    if (t.data instanceof Float32Array) weights.set(name, { shape: t.shape, data: t.data });
  }
  writeFileSync(f.pt, torchSaveF32(weights));

  mkdirSync(join(root, 'arc'), { recursive: true });
  const pair = (n: number) => ({
    input: [
      [n % 10, 1],
      [2, 3],
    ],
    output: [
      [3, 2],
      [1, n % 10],
    ],
  });
  for (const subset of ['training', 'evaluation']) {
    const challenges: Record<string, unknown> = {};
    const solutions: Record<string, unknown> = {};
    for (let i = 0; i < 3; i++) {
      const id = `${subset.slice(0, 2)}${i}abc`;
      challenges[id] = { train: [pair(i), pair(i + 1)], test: [{ input: pair(i + 2).input }] };
      solutions[id] = [pair(i + 2).output];
    }
    writeFileSync(`${f.arcPrefix}_${subset}_challenges.json`, JSON.stringify(challenges));
    writeFileSync(`${f.arcPrefix}_${subset}_solutions.json`, JSON.stringify(solutions));
  }
  return f;
}

/** Copies a fixture (file or directory) into a case directory; returns the copy's path. */
export function copyInto(src: string, dest: string): string {
  cpSync(src, dest, { recursive: true });
  return dest;
}
