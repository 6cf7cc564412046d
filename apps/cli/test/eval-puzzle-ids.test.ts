import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy } from '@trm/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PuzzleIdAblation } from '../src/train/puzzle-ids.js';
import { Capture, TINY_IDS_RUN, trainWithIdentifiers, trm } from './helpers.js';

const sorted = (a: ArrayLike<number>) => Array.from(a).sort((x, y) => x - y);

describe('PuzzleIdAblation', () => {
  // 10 evaluated examples in global batches of 4 (the last padded with blank 0 rows).
  const ids = Int32Array.from([3, 3, 7, 1, 9, 2, 2, 5, 8, 4]);
  const batches = [ids.slice(0, 4), ids.slice(4, 8), Int32Array.from([8, 4, 0, 0])];
  const effective = [4, 4, 2];
  const options = { blankId: 0, numPuzzleIdentifiers: 12, seed: 0, evaluated: ids };

  /** The identifiers the model sees over the whole evaluation, split over `world` ranks. */
  function seen(mode: 'blank' | 'random' | 'shuffled', world: number, seed = 0): number[] {
    const ranks = Array.from(
      { length: world },
      () => new PuzzleIdAblation({ ...options, mode, seed }),
    );
    const out: number[] = [];
    let before = 0;
    batches.forEach((batch, b) => {
      const local = batch.length / world;
      ranks.forEach((ablation, rank) => {
        const slice = batch.slice(rank * local, (rank + 1) * local);
        const place = { before, effective: effective[b]!, offset: rank * local };
        out.push(...ablation.apply(slice, place));
        expect([...slice], 'the input is left alone').toEqual([
          ...batch.slice(rank * local, (rank + 1) * local),
        ]);
      });
      before += effective[b]!;
    });
    return out;
  }

  it('blank gives every row the blank identifier', () => {
    expect(seen('blank', 1)).toEqual(new Array(12).fill(0));
    const other = new PuzzleIdAblation({ ...options, mode: 'blank', blankId: 5 });
    expect([...other.apply(ids.slice(0, 4), { before: 0, effective: 4, offset: 0 })]).toEqual([
      5, 5, 5, 5,
    ]);
  });

  it('random draws from [0, num_puzzle_identifiers), seeded, the same on 1 and 2 devices', () => {
    const one = seen('random', 1);
    expect(one.slice(0, 10).every((v) => Number.isInteger(v) && v >= 0 && v < 12)).toBe(true);
    expect(one.slice(10)).toEqual([0, 0]); // padding keeps its blank identifier
    expect(one.slice(0, 10)).not.toEqual([...ids]);
    expect(seen('random', 1)).toEqual(one);
    expect(seen('random', 2)).toEqual(one);
    expect(seen('random', 1, 7)).not.toEqual(one);
  });

  it('shuffled keeps the multiset of identifiers, seeded, the same on 1 and 2 devices', () => {
    const one = seen('shuffled', 1);
    expect(sorted(one.slice(0, 10))).toEqual(sorted(ids));
    expect(one.slice(0, 10)).not.toEqual([...ids]);
    expect(one.slice(10)).toEqual([0, 0]);
    expect(seen('shuffled', 2)).toEqual(one);
    expect(seen('shuffled', 1, 7)).not.toEqual(one);
  });

  it('refuses batches out of order and more examples than it was given', () => {
    const a = new PuzzleIdAblation({ ...options, mode: 'random' });
    expect(() => a.apply(ids.slice(4, 8), { before: 4, effective: 4, offset: 0 })).toThrow(
      /out of order/,
    );
    const s = new PuzzleIdAblation({ ...options, mode: 'shuffled' });
    expect(() => s.apply(new Int32Array(16), { before: 0, effective: 16, offset: 0 })).toThrow(
      /evaluated identifiers/,
    );
  });
});

// A tiny model trained on 4×4 Sudokus whose puzzles carry four distinct identifiers, so that
// its puzzle embedding has learned something: 16 puzzles, batch 8, 4 optimiser steps.
const env = { HF_HOME: '/nonexistent-hf-home', PATH: process.env.PATH ?? '' };
let work: string;
let data: string;
let ckpt: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'trm-ids-'));
  ({ data, ckpt } = await trainWithIdentifiers(work, TINY_IDS_RUN, env));
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('trm eval --puzzle-ids', () => {
  const outputs = ['preds', 'logits', 'puzzle_identifiers'];
  async function evalWith(name: string, ...flags: string[]) {
    const outdir = join(work, name);
    const r = await trm(
      [
        'eval',
        '--checkpoint',
        ckpt,
        '--dataset',
        data,
        '--outdir',
        outdir,
        '--eval-save-outputs',
        ...outputs,
        ...flags,
      ],
      { cwd: work, env },
    );
    expect(r.code, r.stderr).toBe(0);
    const npy = (key: string) => readNpy(join(outdir, `${key}.npy`)).data as ArrayLike<number>;
    return {
      ...r,
      outdir,
      report: JSON.parse(readFileSync(join(outdir, 'metrics.json'), 'utf8')),
      ids: Array.from(npy('puzzle_identifiers')),
      logits: Float32Array.from(npy('logits')),
      file: (f: string) => readFileSync(join(outdir, f)),
    };
  }

  let real: Awaited<ReturnType<typeof evalWith>>;
  beforeAll(async () => {
    real = await evalWith('real');
  }, 60_000);

  it('real is the default: the same outputs, byte for byte, and no puzzle_ids entry', async () => {
    expect(real.ids).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    expect(real.report.puzzle_ids).toBeUndefined();
    const explicit = await evalWith('real-explicit', '--puzzle-ids', 'real');
    for (const f of ['metrics.json', 'preds.npy', 'logits.npy', 'puzzle_identifiers.npy'])
      expect(explicit.file(f), f).toEqual(real.file(f));
  }, 60_000);

  it('blank: the model sees identifier 0 everywhere, and its outputs change', async () => {
    const blank = await evalWith('blank', '--puzzle-ids', 'blank');
    expect(blank.ids).toEqual(new Array(8).fill(0));
    expect(blank.report.puzzle_ids).toEqual({ mode: 'blank', seed: 0 });
    // The trained puzzle embeddings of identifiers 1–4 are gone: every row's logits move.
    const rowWidth = real.logits.length / 8;
    for (let r = 0; r < 8; r++) {
      const a = real.logits.subarray(r * rowWidth, (r + 1) * rowWidth);
      const b = blank.logits.subarray(r * rowWidth, (r + 1) * rowWidth);
      expect(b, `row ${r}`).not.toEqual(a);
    }
  }, 60_000);

  it('shuffled keeps the multiset of identifiers and moves them between puzzles', async () => {
    const shuffled = await evalWith('shuffled', '--puzzle-ids', 'shuffled');
    expect(sorted(shuffled.ids)).toEqual(sorted(real.ids));
    expect(shuffled.ids).not.toEqual(real.ids);
    expect(shuffled.report.puzzle_ids).toEqual({ mode: 'shuffled', seed: 0 });
    expect(shuffled.logits).not.toEqual(real.logits);
    // Seeded: the same permutation again.
    const again = await evalWith('shuffled-again', '--puzzle-ids', 'shuffled');
    expect(again.ids).toEqual(shuffled.ids);
    expect(again.file('logits.npy')).toEqual(shuffled.file('logits.npy'));
  }, 60_000);

  it("random draws from the checkpoint's identifiers", async () => {
    const random = await evalWith('random', '--puzzle-ids', 'random');
    expect(random.ids.every((v) => Number.isInteger(v) && v >= 0 && v < 5)).toBe(true);
    expect(random.ids).not.toEqual(real.ids);
    expect(random.report.puzzle_ids).toEqual({ mode: 'random', seed: 0 });
  }, 60_000);

  it("trm show --checkpoint predicts with each puzzle's own identifier, as trm eval does", async () => {
    const { predictExamples } = await import('../src/commands/show-predictions.js');
    const io = { stdout: new Capture(), stderr: new Capture(), cwd: work, env };
    const rows = await predictExamples({
      checkpoint: ckpt,
      datasetDir: data,
      split: 'test',
      set: 'all',
      indices: [0, 1, 2, 3, 4, 5, 6, 7],
      io,
      debug: false,
    });
    const shown = rows.flatMap((r) => Array.from(r));
    const evaluated = Array.from(readNpy(join(real.outdir, 'preds.npy')).data as Int32Array);
    expect(shown).toEqual(evaluated);
    // Blank identifiers, which the reference's dataset rows never carry, predict otherwise.
    const blank = await evalWith('blank-preds', '--puzzle-ids', 'blank');
    expect(Array.from(readNpy(join(blank.outdir, 'preds.npy')).data as Int32Array)).not.toEqual(
      evaluated,
    );
  }, 60_000);

  it('a bad mode exits 2 naming the flag and the choices, writing nothing', async () => {
    const outdir = join(work, 'bad-mode');
    const r = await trm(
      ['eval', '--checkpoint', ckpt, '--dataset', data, '--outdir', outdir, '--puzzle-ids', 'zero'],
      { cwd: work, env },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--puzzle-ids must be one of real, blank, random, shuffled/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(outdir)).toBe(false);
  });
});
