import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import type { CommandHandler, OutputStream } from '../src/cli/types.js';
import { runCli } from '../src/index.js';

/**
 * The test-only fault-injection module (`node --import` it before the CLI): the hooks it
 * installs, and the environment variables that turn them on, are described in the file.
 */
export const FAULT_INJECTION = fileURLToPath(
  new URL('./support/fault-injection.mjs', import.meta.url),
);

/** A stream that records what is written. */
export class Capture implements OutputStream {
  text = '';
  constructor(
    readonly isTTY = false,
    readonly columns = 100,
  ) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `trm` in-process with captured output. */
export async function trm(
  argv: string[],
  opts: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    handlers?: Record<string, CommandHandler>;
    tty?: boolean;
  } = {},
): Promise<RunResult> {
  const stdout = new Capture(opts.tty ?? false);
  const stderr = new Capture(opts.tty ?? false);
  const code = await runCli(argv, {
    io: {
      stdout,
      stderr,
      cwd: opts.cwd ?? process.cwd(),
      env: opts.env ?? { HF_HOME: '/nonexistent-hf-home' },
    },
    ...(opts.handlers ? { handlers: opts.handlers } : {}),
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** The error `fn` throws (fails the test when it throws none). */
export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

const dirs: string[] = [];

/** A temporary directory removed after the test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'trm-cli-test-'));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * Generates a 4×4 Sudoku CSV pair and builds it into a dataset under `work` with the CLI
 * itself; returns the dataset directory.
 */
export async function buildSudoku4(
  work: string,
  opts: { count: number; testCount: number; seed: number; env: NodeJS.ProcessEnv },
): Promise<string> {
  const data = join(work, 'data', 'sudoku4');
  const csv = join(work, 'csv');
  const gen = await trm(
    [
      'generate',
      'sudoku',
      '--size',
      '4',
      '--count',
      String(opts.count),
      '--test-count',
      String(opts.testCount),
      '--seed',
      String(opts.seed),
      '--output',
      csv,
    ],
    { cwd: work, env: opts.env },
  );
  if (gen.code !== 0) throw new Error(`trm generate failed: ${gen.stderr}`);
  const build = await trm(['build-dataset', 'sudoku', '--source', csv, '--output-dir', data], {
    cwd: work,
    env: opts.env,
  });
  if (build.code !== 0) throw new Error(`trm build-dataset failed: ${build.stderr}`);
  return data;
}

/** The tensors of a safetensors checkpoint, by name. */
export async function checkpointTensors(path: string): Promise<Map<string, Float32Array>> {
  const { loadCheckpoint } = await import('@trm/model');
  const ckpt = await loadCheckpoint(path);
  return new Map([...ckpt.tensors].map(([k, v]) => [k, v.data as Float32Array]));
}

/** Overrides for a model small enough to train in seconds on lavapipe. */
export const TINY_ARCH: readonly string[] = [
  // f32: the tests compare runs at f32 round-off (mixed precision has its own test).
  'arch.forward_dtype=float32',
  'arch.hidden_size=16',
  'arch.num_heads=2',
  'arch.expansion=2',
  'arch.L_layers=1',
  'arch.H_cycles=2',
  'arch.L_cycles=1',
];

/** A tiny run of 2 epochs at batch 8, evaluated once at its end, its model 2 steps deep. */
export const TINY_RUN: readonly string[] = [
  ...TINY_ARCH,
  'arch.halt_max_steps=2',
  'arch.puzzle_emb_len=1',
  'global_batch_size=8',
  'epochs=2',
  'eval_interval=2',
  'lr_warmup_steps=1',
];

/**
 * Builds an ARC dataset with the CLI from `<cwd>/arc_<subset>_challenges.json` (and solutions
 * where present), `--test-set-name evaluation`.
 */
export function buildArc(
  cwd: string,
  opts: { subsets: readonly string[]; numAug: number; outputDir: string; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  return trm(
    [
      'build-dataset',
      'arc',
      '--input-file-prefix',
      'arc',
      '--subsets',
      ...opts.subsets,
      '--test-set-name',
      'evaluation',
      '--num-aug',
      String(opts.numAug),
      '--output-dir',
      opts.outputDir,
    ],
    { cwd, ...(opts.env ? { env: opts.env } : {}) },
  );
}

/**
 * A tiny run for {@link trainWithIdentifiers}: 16 puzzles, batch 8, 2 epochs → 4 optimiser
 * steps, two supervision steps, one evaluation at the end.
 */
export const TINY_IDS_RUN: readonly string[] = [
  ...TINY_ARCH,
  'arch.halt_max_steps=2',
  'arch.puzzle_emb_len=1',
  'global_batch_size=8',
  'epochs=2',
  'eval_interval=2',
  'lr_warmup_steps=1',
  'evaluators=[{name: sudoku}]',
];

/**
 * Gives the puzzles of a dataset built by {@link buildSudoku4} `k` distinct puzzle
 * identifiers, 1..k (puzzle p gets (p mod k) + 1, in both splits, so every test identifier
 * is also trained), with 0 the blank one: a dataset whose puzzle embedding can matter.
 */
export async function withPuzzleIdentifiers(data: string, k: number): Promise<void> {
  const { readNpy, writeNpy } = await import('@trm/datasets');
  for (const split of ['train', 'test']) {
    const file = join(data, split, 'all__puzzle_identifiers.npy');
    const n = readNpy(file).data.length;
    writeNpy(
      file,
      Int32Array.from({ length: n }, (_, p) => (p % k) + 1),
      [n],
    );
    const metaFile = join(data, split, 'dataset.json');
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    writeFileSync(metaFile, JSON.stringify({ ...meta, num_puzzle_identifiers: k + 1 }));
  }
  writeFileSync(
    join(data, 'identifiers.json'),
    JSON.stringify(['<blank>', ...Array.from({ length: k }, (_, i) => `puzzle${i + 1}`)]),
  );
}

/** `trm train --preset none` on the dataset `data` into `runDir`, with `args`, run in `work`. */
export function trainOn(
  work: string,
  data: string,
  runDir: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<RunResult> {
  return trm(
    ['train', '--preset', 'none', `data_paths=[${data}]`, `checkpoint_path=${runDir}`, ...args],
    { cwd: work, env },
  );
}

/**
 * Trains a tiny model for the run of `trainArgs` (its 4th step is its last) on a 4×4 Sudoku set
 * whose puzzles carry 4 identifiers (see {@link withPuzzleIdentifiers}), in `work`.
 */
export async function trainWithIdentifiers(
  work: string,
  trainArgs: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ data: string; runDir: string; ckpt: string }> {
  const data = await buildSudoku4(work, { count: 16, testCount: 8, seed: 3, env });
  await withPuzzleIdentifiers(data, 4);
  const runDir = join(work, 'run');
  const r = await trainOn(work, data, runDir, trainArgs, env);
  if (r.code !== 0) throw new Error(`training the fixture model failed:\n${r.stderr}`);
  return { data, runDir, ckpt: join(runDir, 'step_4.safetensors') };
}
