import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dihedralFlat } from '../src/augment/dihedral.js';
import { buildMazeDataset } from '../src/builders/maze.js';
import { encodeMaze, MAZE_CHARSET, mazeText } from '../src/builders/maze-codec.js';
import { readMetadata } from '../src/format/metadata.js';
import { validateDataset } from '../src/format/validate.js';
import { writePuzzleCsvSplits } from '../src/generators/csv.js';
import { generateMazes } from '../src/generators/maze.js';
import { readNpy } from '../src/npy/read.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
const src = join(dir, 'src');
writePuzzleCsvSplits(src, generateMazes(4, 1, { size: 12 }), generateMazes(3, 2, { size: 12 }));

describe('buildMazeDataset', () => {
  it('writes 8 dihedral images per training maze as one group, the test split unaugmented', async () => {
    const out = join(dir, 'aug');
    const res = await buildMazeDataset({ source: src, outputDir: out, aug: true });
    expect(res.train).toEqual({ examples: 32, puzzles: 32, groups: 4 });
    expect(res.test).toEqual({ examples: 3, puzzles: 3, groups: 3 });
    const meta = readMetadata(join(out, 'train', 'dataset.json'));
    expect([meta.vocab_size, meta.seq_len, meta.total_puzzles, meta.mean_puzzle_examples]).toEqual([
      6, 144, 4, 1,
    ]);
    expect(validateDataset(out).ok).toBe(true);
    const inputs = readNpy(join(out, 'train', 'all__inputs.npy')).data as Uint8Array;
    const labels = readNpy(join(out, 'train', 'all__labels.npy')).data as Uint8Array;
    for (let g = 0; g < 4; g++) {
      const orig = inputs.slice(g * 8 * 144, (g * 8 + 1) * 144);
      const origLabel = labels.slice(g * 8 * 144, (g * 8 + 1) * 144);
      const images = new Set<string>();
      for (let t = 0; t < 8; t++) {
        const k = (g * 8 + t) * 144;
        expect(Array.from(inputs.subarray(k, k + 144))).toEqual(
          Array.from(dihedralFlat(orig, 12, 12, t).data),
        );
        expect(Array.from(labels.subarray(k, k + 144))).toEqual(
          Array.from(dihedralFlat(origLabel, 12, 12, t).data),
        );
        images.add(Buffer.from(inputs.subarray(k, k + 144)).toString('hex'));
      }
      expect(images.size).toBe(8);
    }
  });

  it('maps characters to tokens 1..5 in the order "# SGo"', async () => {
    const out = join(dir, 'plain');
    await buildMazeDataset({ source: src, outputDir: out });
    const labels = readNpy(join(out, 'test', 'all__labels.npy')).data as Uint8Array;
    const first = (await import('node:fs'))
      .readFileSync(join(src, 'test.csv'), 'utf8')
      .split('\n')[1]!
      .split(',')[2]!;
    expect(Array.from(labels.subarray(0, 144))).toEqual(
      Array.from(first, (ch) => MAZE_CHARSET.indexOf(ch) + 1),
    );
  });

  it('encodeMaze gives the tokens the builder writes for a CSV row, and mazeText inverts it', async () => {
    const out = join(dir, 'plain-encode');
    await buildMazeDataset({ source: src, outputDir: out });
    const inputs = readNpy(join(out, 'test', 'all__inputs.npy')).data as Uint8Array;
    const labels = readNpy(join(out, 'test', 'all__labels.npy')).data as Uint8Array;
    [...generateMazes(3, 2, { size: 12 })].forEach((m, i) => {
      const q = encodeMaze(m.question);
      expect([...q]).toEqual([...inputs.subarray(i * 144, (i + 1) * 144)]);
      expect([...encodeMaze(m.answer, 'answer')]).toEqual([
        ...labels.subarray(i * 144, (i + 1) * 144),
      ]);
      expect(mazeText(q)).toBe(m.question);
    });
    expect(mazeText([1, 2, 3, 4, 5, 0, 6])).toBe('# SGo??');
  });

  it('encodeMaze names what is wrong with a drawn maze', () => {
    expect(() => encodeMaze('S G')).toThrow(
      /Maze question: question has 3 characters, not a square/,
    );
    expect(() => encodeMaze(`S${'x'}G${' '.repeat(6)}`)).toThrow(
      /invalid character "x" at position 1; a maze cell is one of "# SGo"/,
    );
    expect(() => encodeMaze(' '.repeat(9))).toThrow(
      /question has no start S; a maze has exactly one/,
    );
    expect(() => encodeMaze(`SSG${' '.repeat(6)}`)).toThrow(/question has 2 start Ss/);
    expect(() => encodeMaze(`S${' '.repeat(8)}`)).toThrow(/question has no goal G/);
    expect([...encodeMaze('S#G o    ', 'answer')]).toEqual([3, 1, 4, 2, 5, 2, 2, 2, 2]);
  });

  it('rejects unknown characters and non-square rows, naming the row', async () => {
    const bad = join(dir, 'bad');
    writePuzzleCsvSplits(bad, generateMazes(1, 1, { size: 5 }), []);
    writeFileSync(
      join(bad, 'test.csv'),
      `source,question,answer,rating\nx,${'#'.repeat(24)}X,${'#'.repeat(25)},1\n`,
    );
    await expect(buildMazeDataset({ source: bad, outputDir: join(dir, 'o') })).rejects.toThrow(
      /test.csv:2: question has invalid character "X" at position 24/,
    );
    writeFileSync(
      join(bad, 'test.csv'),
      `source,question,answer,rating\nx,${'#'.repeat(24)},${'#'.repeat(24)},1\n`,
    );
    await expect(buildMazeDataset({ source: bad, outputDir: join(dir, 'o') })).rejects.toThrow(
      /test.csv:2: question has 24 characters, expected 25/,
    );
    expect(existsSync(join(dir, 'o'))).toBe(false);
  });

  it('refuses a maze without exactly one start and one goal, naming the line', async () => {
    const bad = join(dir, 'sg');
    const [row] = [...generateMazes(1, 3, { size: 5 })];
    const q = row!.question;
    const cases: [string, RegExp][] = [
      [q.replace('S', ' '), /train\.csv:2: question has no start S; a maze has exactly one/],
      [q.replace('G', ' '), /train\.csv:2: question has no goal G; a maze has exactly one/],
      [q.replace(' ', 'S'), /train\.csv:2: question has 2 start Ss; a maze has exactly one/],
      [q.replace(' ', 'G'), /train\.csv:2: question has 2 goal Gs; a maze has exactly one/],
    ];
    for (const [question, message] of cases) {
      writePuzzleCsvSplits(bad, [{ ...row!, question }], [row!]);
      await expect(buildMazeDataset({ source: bad, outputDir: join(dir, 'o') })).rejects.toThrow(
        message,
      );
    }
    expect(existsSync(join(dir, 'o'))).toBe(false);
  });

  it('finds the start and goal anywhere in a maze larger than 32×32', async () => {
    const big = join(dir, 'big');
    // The builder does not solve mazes, so an open 40×40 field with S and G last will do.
    const question = `${' '.repeat(1598)}GS`;
    const mazes = [{ source: 'big', question, answer: question, rating: 1 }];
    writePuzzleCsvSplits(big, mazes, mazes);
    const res = await buildMazeDataset({ source: big, outputDir: join(dir, 'big-out') });
    expect(res.train.examples).toBe(1);
  });

  it('refuses a CSV holding only its header', async () => {
    const bad = join(dir, 'empty');
    writePuzzleCsvSplits(bad, [], generateMazes(1, 1, { size: 5 }));
    await expect(buildMazeDataset({ source: bad, outputDir: join(dir, 'o') })).rejects.toThrow(
      /no mazes in \S*empty\/train\.csv \(it holds only the header\)/,
    );
  });
});
