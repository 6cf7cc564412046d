import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateSubmission } from '@trm/evaluators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArc, buildSudoku4, TINY_RUN, trm } from './helpers.js';

// A tiny ARC model: two training puzzles and two evaluation puzzles (one with two test inputs)
// of small grids, built with 2 variants each, trained for 2 steps.
type Grid = number[][];
let seed = 3;
function grid(h: number, w: number): Grid {
  return Array.from({ length: h }, () =>
    Array.from({ length: w }, () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * 10);
    }),
  );
}
const puzzle = (tests: number) => ({
  train: [
    { input: grid(3, 3), output: grid(3, 3) },
    { input: grid(2, 4), output: grid(2, 4) },
  ],
  test: Array.from({ length: tests }, () => ({ input: grid(3, 4) })),
});
const training = { trn00001: puzzle(1), trn00002: puzzle(1) };
const evaluation = { evl00003: puzzle(1), evl00004: puzzle(2) };
const solutions = {
  evl00003: [grid(3, 4)],
  evl00004: [grid(3, 4), grid(3, 4)],
};

const env = { HF_HOME: '/nonexistent-hf-home', PATH: process.env.PATH ?? '' };
const BATCH = ['--global-batch-size', '4'];
let work: string;
const challenges = 'arc_evaluation_challenges.json';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'trm-predict-arc-'));
  const write = (f: string, v: unknown) => writeFileSync(join(work, f), JSON.stringify(v));
  write('arc_training_challenges.json', training);
  write(challenges, evaluation);
  write('arc_evaluation_solutions.json', solutions);
  const build = await buildArc(work, {
    subsets: ['training', 'evaluation'],
    numAug: 2,
    outputDir: 'data/arc',
    env,
  });
  if (build.code !== 0) throw new Error(`building the ARC fixture failed:\n${build.stderr}`);
  const train = await trm(
    [
      'train',
      '--preset',
      'none',
      'data_paths=[data/arc]',
      ...TINY_RUN,
      'evaluators=[]',
      'checkpoint_path=run',
    ],
    { cwd: work, env },
  );
  if (train.code !== 0) throw new Error(`training the ARC fixture failed:\n${train.stderr}`);
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `trm predict arc ARGS` in the fixture's directory. */
const predictArc = (args: readonly string[]) =>
  trm(['predict', 'arc', ...args], { cwd: work, env });

/** Predicts `file` (default: the evaluation challenges) with the fixture model into `out`. */
async function predict(out: string, flags: readonly string[] = [], file = challenges) {
  const r = await predictArc([
    '--checkpoint',
    'run',
    '--challenges',
    file,
    '--out',
    out,
    ...BATCH,
    ...flags,
  ]);
  return { ...r, file: join(work, out) };
}
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('trm predict arc', () => {
  let trained: Record<string, Record<string, Grid>[]>;

  it("agrees with trm eval's ARC submission for the same checkpoint and puzzles", async () => {
    const ev = await trm(
      [
        'eval',
        '--checkpoint',
        'run',
        '--dataset',
        'data/arc',
        '--outdir',
        'ev',
        ...BATCH,
        'evaluators=[{name: arc}]',
      ],
      { cwd: work, env },
    );
    expect(ev.code, ev.stderr).toBe(0);
    const viaEval = readJson(join(work, 'ev', 'evaluator_arc', 'submission.json'));
    // The identifiers come from the checkpoint's data_paths (data/arc), so no notice.
    const r = await predict('submission.json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/note:/);
    expect(r.stdout).toMatch(/2 puzzles, 3 test inputs, 2 attempts each, voted over 9 predictions/);
    trained = readJson(r.file);
    expect(trained).toEqual(viaEval);
    // One entry per test input, two valid grids each.
    expect(Object.keys(trained).sort()).toEqual(['evl00003', 'evl00004']);
    expect(trained.evl00004!.length).toBe(2);
    expect(validateSubmission(trained, evaluation)).toEqual([]);
  }, 120_000);

  it('predicts puzzles without trained embeddings with the blank identifier, and says so', async () => {
    const r = await predict('blank.json', ['--blank-ids', '--num-aug', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /note: 2 of 2 puzzles had no trained puzzle embedding \(--blank-ids\).*blank identifier 0.*trm adapt/,
    );
    const blank = readJson(r.file);
    expect(validateSubmission(blank, evaluation)).toEqual([]);
    // The trained embeddings matter, so the equality above is not a coincidence.
    expect(blank).not.toEqual(trained);
  }, 120_000);

  it('mixes trained and new puzzles: only the new ones get the blank identifier', async () => {
    writeFileSync(
      join(work, 'mixed.json'),
      JSON.stringify({ evl00003: evaluation.evl00003, new00005: puzzle(1) }),
    );
    const r = await predict('mixed-sub.json', ['--num-aug', '1'], 'mixed.json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/note: 1 of 2 puzzles had no trained puzzle embedding/);
    const mixed = readJson(r.file);
    expect(Object.keys(mixed).sort()).toEqual(['evl00003', 'new00005']);
    expect(mixed.new00005.length).toBe(1);
  }, 120_000);

  it('refuses to replace an existing --out without --overwrite, and replaces it with', async () => {
    const out = join(work, 'existing.json');
    writeFileSync(out, 'keep me');
    const r = await predict('existing.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/existing\.json already exists\. Pass --overwrite/);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    const again = await predict('existing.json', ['--overwrite', '--num-aug', '0']);
    expect(again.code, again.stderr).toBe(0);
    expect(validateSubmission(readJson(out), evaluation)).toEqual([]);
  }, 120_000);
});

describe('trm predict arc refuses bad input with exit 2, writing nothing', () => {
  async function refused(args: string[], message: RegExp) {
    const r = await predictArc(['--out', 'refused.json', ...args]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(work, 'refused.json'))).toBe(false);
    return r;
  }

  const cases: [string, unknown, RegExp][] = [
    ['not JSON', '{"a": [', /bad\.json: ARC JSON file is not valid JSON/],
    ['a list', [1, 2], /expected an object of puzzles keyed by name/],
    ['no puzzles', {}, /holds no puzzles/],
    ['no test list', { p1: { train: puzzle(1).train } }, /puzzle p1 has no 'test' list/],
    [
      'a 31-row grid',
      { p1: { train: puzzle(1).train, test: [{ input: grid(31, 2) }] } },
      /puzzle p1 test\[0\]\.input: grid has 31 rows \(max 30\)/,
    ],
    [
      'a colour 10',
      { p1: { train: [{ input: [[10]], output: [[1]] }], test: [{ input: [[1]] }] } },
      /puzzle p1 train\[0\]\.input: cell \(0, 0\) is 10, not a colour 0\.\.9/,
    ],
    [
      'a demonstration without output',
      { p1: { train: [{ input: [[1]] }], test: [{ input: [[1]] }] } },
      /puzzle p1 train\[0\] has no output/,
    ],
  ];
  for (const [what, content, message] of cases) {
    it(what, async () => {
      const file = join(work, 'bad.json');
      writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
      const r = await refused(['--checkpoint', 'run', '--challenges', 'bad.json'], message);
      expect(r.stderr).toMatch(/An ARC-AGI challenges file is a JSON object/);
    });
  }

  it('a missing challenges file', async () => {
    await refused(
      ['--checkpoint', 'run', '--challenges', 'nope.json'],
      /--challenges .*nope\.json does not exist/,
    );
  });

  it('a dataset that is not ARC', async () => {
    const sudoku = await buildSudoku4(join(work, 'sudoku'), {
      count: 4,
      testCount: 2,
      seed: 1,
      env,
    });
    await refused(
      ['--checkpoint', 'run', '--challenges', challenges, '--dataset', sudoku],
      /is not an ARC dataset \(seq_len 16, vocab_size \d+; ARC has 900 and 12\)/,
    );
  }, 60_000);

  it("a dataset whose identifiers do not match the checkpoint's puzzle embedding", async () => {
    const other = await buildArc(work, {
      subsets: ['evaluation'],
      numAug: 1,
      outputDir: 'data/arc-other',
      env,
    });
    expect(other.code, other.stderr).toBe(0);
    await refused(
      ['--checkpoint', 'run', '--challenges', challenges, '--dataset', 'data/arc-other'],
      /names 5 puzzle identifiers but the checkpoint's puzzle embedding has 13 rows/,
    );
  }, 60_000);

  it('an --out that is a directory', async () => {
    mkdirSync(join(work, 'outdir'), { recursive: true });
    const r = await predictArc([
      '--checkpoint',
      'run',
      '--challenges',
      challenges,
      '--out',
      'outdir',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out outdir is a directory/);
  });
});
