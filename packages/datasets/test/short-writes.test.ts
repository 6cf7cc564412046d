/**
 * Every writer against a file system that writes less than asked (as a filling disk or an
 * interrupted call does) and one that fills up part-way. `writeSync` is replaced for the
 * modules under test; everything else is the real file system.
 */
import * as realFs from 'node:fs';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  buildSudokuDataset,
  DatasetError,
  generateSudokus,
  readNpy,
  validateDataset,
  writeNpy,
  writePuzzleCsv,
  writePuzzleCsvSplits,
} from '../src/index.js';
import { tempDir } from './helpers.js';

const disk = vi.hoisted(() => ({
  /** Most bytes one writeSync call writes (Infinity: all). */
  maxPerCall: Number.POSITIVE_INFINITY,
  /** Bytes left before writes fail with ENOSPC (Infinity: never). */
  space: Number.POSITIVE_INFINITY,
}));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  function writeSync(fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]) {
    let bytes: Uint8Array;
    let offset = 0;
    let length: number;
    let position: number | null = null;
    if (typeof data === 'string') {
      bytes = Buffer.from(data, (rest[1] as BufferEncoding | undefined) ?? 'utf8');
      length = bytes.length;
      position = (rest[0] as number | null | undefined) ?? null;
    } else {
      bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      offset = (rest[0] as number | undefined) ?? 0;
      length = (rest[1] as number | undefined) ?? bytes.length - offset;
      position = (rest[2] as number | null | undefined) ?? null;
    }
    if (disk.space <= 0 && length > 0)
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
        code: 'ENOSPC',
        errno: -28,
        syscall: 'write',
      });
    const n = Math.min(length, disk.maxPerCall, disk.space);
    disk.space -= n;
    return fs.writeSync(fd, bytes, offset, n, position);
  }
  return { ...fs, default: { ...fs, writeSync }, writeSync };
});

afterEach(() => {
  disk.maxPerCall = Number.POSITIVE_INFINITY;
  disk.space = Number.POSITIVE_INFINITY;
});

const dir = tempDir();
const puzzles = [...generateSudokus(6, 7, { size: 4 })];

describe('short writes are completed', () => {
  it('by the CSV writer', () => {
    const expected = join(dir, 'expected.csv');
    writePuzzleCsv(expected, puzzles);
    disk.maxPerCall = 7;
    const path = join(dir, 'short.csv');
    expect(writePuzzleCsv(path, puzzles)).toBe(6);
    expect(readFileSync(path, 'utf8')).toBe(readFileSync(expected, 'utf8'));
  });

  it('by the .npy writer', () => {
    disk.maxPerCall = 5;
    const data = Int32Array.from({ length: 1000 }, (_, i) => i * 3 - 500);
    writeNpy(join(dir, 'short.npy'), data, [10, 100]);
    disk.maxPerCall = Number.POSITIVE_INFINITY;
    const back = readNpy(join(dir, 'short.npy'));
    expect(back.shape).toEqual([10, 100]);
    expect(Array.from(back.data as Int32Array)).toEqual(Array.from(data));
  });

  it('by the dataset builder, which then writes the same bytes as on a healthy disk', async () => {
    const src = join(dir, 'src');
    writePuzzleCsvSplits(src, puzzles, puzzles.slice(0, 2));
    await buildSudokuDataset({ source: src, outputDir: join(dir, 'healthy'), numAug: 3 });
    disk.maxPerCall = 13;
    await buildSudokuDataset({ source: src, outputDir: join(dir, 'short'), numAug: 3 });
    disk.maxPerCall = Number.POSITIVE_INFINITY;
    expect(validateDataset(join(dir, 'short')).violations).toEqual([]);
    for (const f of ['train/all__inputs.npy', 'train/dataset.json', 'identifiers.json'])
      expect(readFileSync(join(dir, 'short', f))).toEqual(readFileSync(join(dir, 'healthy', f)));
  });
});

describe('a disk that fills up', () => {
  it('fails the build with the file named, leaving neither output nor temporaries', async () => {
    const root = join(dir, 'full');
    const src = join(root, 'src');
    writePuzzleCsvSplits(src, puzzles, puzzles.slice(0, 2));
    disk.space = 300;
    const err = await buildSudokuDataset({ source: src, outputDir: join(root, 'out') }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toMatch(/^disk full while writing \S+\.npy; free some space/);
    expect(err.cause.code).toBe('ENOSPC');
    expect(existsSync(join(root, 'out'))).toBe(false);
    expect(readdirSync(root)).toEqual(['src']);
  });

  it('fails the CSV writer instead of reporting rows it did not write', () => {
    const path = join(dir, 'gen.csv');
    disk.space = 100;
    expect(() => writePuzzleCsv(path, puzzles)).toThrow(
      `disk full while writing ${path}; free some space and run again`,
    );
    expect(existsSync(path)).toBe(false);
    expect(realFs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
