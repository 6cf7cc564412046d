import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '@trm/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSudoku4,
  checkpointTensors,
  TINY_IDS_RUN,
  trainWithIdentifiers,
  trm,
  withPuzzleIdentifiers,
} from './helpers.js';

// The checkpoint: a tiny model trained on 4×4 Sudokus with 4 puzzle identifiers (a table of 5
// rows: the blank and 4 puzzles), 4 steps. The new dataset: other Sudokus, built on their own,
// whose 3 puzzle identifiers 1..3 the checkpoint has never seen; every fourth of its training
// puzzles has the blank identifier 0, so training batches use the checkpoint's row 0 too.
const PUZZLE_EMB = 'model.inner.puzzle_emb.weights';
const env = { HF_HOME: '/nonexistent-hf-home', PATH: process.env.PATH ?? '' };
let work: string;
let ckpt: string;
let fresh: string;
let plain: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'trm-adapt-'));
  ({ ckpt } = await trainWithIdentifiers(work, TINY_IDS_RUN, env));
  const other = join(work, 'other');
  mkdirSync(other);
  fresh = await buildSudoku4(other, { count: 16, testCount: 8, seed: 11, env });
  await withPuzzleIdentifiers(fresh, 3);
  const file = join(fresh, 'train', 'all__puzzle_identifiers.npy');
  const n = readNpy(file).data.length;
  writeNpy(
    file,
    Int32Array.from({ length: n }, (_, p) => p % 4),
    [n],
  );
  const blank = join(work, 'blank');
  mkdirSync(blank);
  plain = await buildSudoku4(blank, { count: 8, testCount: 4, seed: 12, env });
}, 240_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const adapt = (...args: string[]) =>
  trm(['adapt', '--checkpoint', ckpt, ...args], { cwd: work, env });
const report = (outdir: string) => JSON.parse(readFileSync(join(outdir, 'adapt.json'), 'utf8'));

describe('trm adapt', () => {
  it('appends one row per new puzzle and trains only those rows', async () => {
    const outdir = join(work, 'rows');
    const r = await adapt('--dataset', fresh, '--steps', '4', '--lr', '0.01', '--outdir', outdir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('rows 5..7 appended for the 3 puzzle identifiers');

    const before = await checkpointTensors(ckpt);
    const after = await checkpointTensors(join(outdir, 'step_4.safetensors'));
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [name, values] of before) {
      if (name === PUZZLE_EMB) continue;
      expect(after.get(name), name).toEqual(values);
    }
    const dim = before.get(PUZZLE_EMB)!.length / 5;
    const table = after.get(PUZZLE_EMB)!;
    expect(table.length).toBe(8 * dim); // 5 rows + 3 appended
    expect(table.subarray(0, 5 * dim)).toEqual(before.get(PUZZLE_EMB)!);
    // Each appended row started at the mean of the checkpoint's rows and has moved.
    const old = before.get(PUZZLE_EMB)!;
    const mean = Float32Array.from({ length: dim }, (_, c) => {
      let s = 0;
      for (let r = 0; r < 5; r++) s += old[r * dim + c]!;
      return s / 5;
    });
    for (let row = 5; row < 8; row++)
      expect(table.subarray(row * dim, (row + 1) * dim)).not.toEqual(mean);

    // The renumbered dataset: identifier k ≥ 1 of the new dataset is row 5 + k − 1, the blank 0
    // stays 0.
    for (const split of ['train', 'test']) {
      const ids = (dir: string) =>
        Array.from(readNpy(join(dir, split, 'all__puzzle_identifiers.npy')).data as Int32Array);
      const given = ids(fresh);
      const adapted = ids(join(outdir, 'adapt_dataset'));
      expect(adapted).toEqual(given.map((k) => (k === 0 ? 0 : k + 4)));
      if (split === 'train') expect(given).toContain(0);
      const meta = JSON.parse(
        readFileSync(join(outdir, 'adapt_dataset', split, 'dataset.json'), 'utf8'),
      );
      expect(meta.num_puzzle_identifiers).toBe(8);
    }
    const names = JSON.parse(
      readFileSync(join(outdir, 'adapt_dataset', 'identifiers.json'), 'utf8'),
    );
    expect(names.slice(5)).toEqual(['puzzle1', 'puzzle2', 'puzzle3']);

    const rep = report(outdir);
    expect(rep.puzzle_rows).toMatchObject({ checkpoint: 5, appended: 3, first_appended: 5 });
    expect(rep.evaluations.map((e: { phase: string; step: number }) => [e.phase, e.step])).toEqual([
      ['before', 0],
      ['rows', 4],
    ]);
    expect(r.stdout).toMatch(/metric\s+before\s+rows \(step 4\)/);

    // Before: what trm eval reports for the checkpoint on the new dataset (its puzzle rows then
    // all at the mean row). After: what trm eval reports for the adapted checkpoint.
    const evalOf = async (checkpoint: string, dataset: string, name: string) => {
      const e = await trm(
        [
          'eval',
          '--checkpoint',
          checkpoint,
          '--dataset',
          dataset,
          '--outdir',
          join(work, name),
          '--json',
        ],
        { cwd: work, env },
      );
      expect(e.code, e.stderr).toBe(0);
      return JSON.parse(e.stdout).metrics;
    };
    expect(rep.evaluations[0].metrics).toEqual(await evalOf(ckpt, fresh, 'eval-before'));
    expect(rep.evaluations[1].metrics).toEqual(
      await evalOf(outdir, join(outdir, 'adapt_dataset'), 'eval-after'),
    );
  }, 300_000);

  it('--whole-model-steps then trains every weight, but never the checkpoint rows', async () => {
    const outdir = join(work, 'whole');
    const r = await adapt(
      '--dataset',
      fresh,
      '--steps',
      '2',
      '--whole-model-steps',
      '2',
      '--outdir',
      outdir,
    );
    expect(r.code, r.stderr).toBe(0);
    const before = await checkpointTensors(ckpt);
    const rows = await checkpointTensors(join(outdir, 'step_2.safetensors'));
    const whole = await checkpointTensors(join(outdir, 'step_4.safetensors'));
    const name = 'model.inner.lm_head.weight';
    expect(rows.get(name)).toEqual(before.get(name));
    expect(whole.get(name)).not.toEqual(before.get(name));
    const old = before.get(PUZZLE_EMB)!;
    expect(whole.get(PUZZLE_EMB)!.subarray(0, old.length)).toEqual(old);
    expect(report(outdir).evaluations.map((e: { phase: string }) => e.phase)).toEqual([
      'before',
      'rows',
      'whole model',
    ]);
  }, 300_000);

  it('refuses bad inputs with exit 2 before writing anything', async () => {
    const outdir = join(work, 'refused');
    const refused = async (args: string[], why: RegExp, cwdArgs = true) => {
      const r = cwdArgs
        ? await adapt(...args, '--outdir', outdir)
        : await trm(args, { cwd: work, env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(existsSync(outdir), args.join(' ')).toBe(false);
    };
    await refused(
      [
        'adapt',
        '--checkpoint',
        join(work, 'nope.safetensors'),
        '--dataset',
        fresh,
        '--outdir',
        outdir,
      ],
      /--checkpoint .*nope\.safetensors not found/,
      false,
    );
    await refused(['--dataset', join(work, 'nowhere')], /--dataset .*nowhere does not exist/);
    // Another vocabulary: the new dataset's dataset.json says 7 tokens, the checkpoint has 6.
    const wide = join(work, 'wide');
    cpSync(fresh, wide, { recursive: true });
    for (const split of ['train', 'test']) {
      const file = join(wide, split, 'dataset.json');
      const meta = JSON.parse(readFileSync(file, 'utf8'));
      writeFileSync(file, JSON.stringify({ ...meta, vocab_size: meta.vocab_size + 1 }));
    }
    await refused(['--dataset', wide], /has vocab_size 7 .* trained with vocab_size 6/);
    // Another grid: 6×6 Sudokus have a longer sequence.
    const six = join(work, 'six');
    expect(
      (
        await trm(
          [
            'generate',
            'sudoku',
            '--size',
            '6',
            '--count',
            '8',
            '--test-count',
            '4',
            '--output',
            join(six, 'csv'),
          ],
          { cwd: work, env },
        )
      ).code,
    ).toBe(0);
    expect(
      (
        await trm(
          [
            'build-dataset',
            'sudoku',
            '--source',
            join(six, 'csv'),
            '--output-dir',
            join(six, 'data'),
          ],
          { cwd: work, env },
        )
      ).code,
    ).toBe(0);
    await refused(['--dataset', join(six, 'data')], /has seq_len 36 .* trained with seq_len 16/);
    await refused(
      ['--dataset', plain],
      /every puzzle the blank identifier .*--steps 0 --whole-model-steps M/,
    );
    await refused(['--dataset', fresh, '--steps', '0'], /leave nothing to adapt/);
    await refused(['--dataset', fresh, '--lr', '-1'], /--lr must be a positive/);
    await refused(['--dataset', fresh, 'epochs=3'], /epochs=3: trm adapt sets epochs itself/);
    await refused(['--dataset', fresh, 'global_batch_size=64'], /fewer than global_batch_size 64/);
    // An output directory in use is left alone without --overwrite.
    mkdirSync(outdir);
    writeFileSync(join(outdir, 'mine.txt'), 'keep');
    const busy = await adapt('--dataset', fresh, '--outdir', outdir);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toMatch(/--outdir .* is not empty/);
    expect(readFileSync(join(outdir, 'mine.txt'), 'utf8')).toBe('keep');
    rmSync(outdir, { recursive: true });
  }, 120_000);
});
