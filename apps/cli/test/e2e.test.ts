import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMetadata } from '@trm/datasets';
import { describe, expect, it } from 'vitest';
import { detectKind } from '../src/index.js';
import { buildArc, tempDir, trm } from './helpers.js';

/** Nothing but `expected` in `dir`: no temporary or half-written siblings. */
function onlyEntries(dir: string, expected: string[]): void {
  expect(readdirSync(dir).sort()).toEqual([...expected].sort());
}

describe('detectKind', () => {
  it('tells 4x4 Sudoku (vocab 6) from mazes (vocab 6, at least 5x5)', () => {
    expect(detectKind({ vocab_size: 6, seq_len: 16 })).toBe('sudoku');
    expect(detectKind({ vocab_size: 11, seq_len: 81 })).toBe('sudoku');
    expect(detectKind({ vocab_size: 8, seq_len: 36 })).toBe('sudoku');
    expect(detectKind({ vocab_size: 6, seq_len: 36 })).toBe('maze');
    expect(detectKind({ vocab_size: 6, seq_len: 900 })).toBe('maze');
    expect(detectKind({ vocab_size: 12, seq_len: 900 })).toBe('arc');
    expect(detectKind({ vocab_size: 7, seq_len: 10 })).toBeUndefined();
  });
});

/** `trm generate sudoku` argv: 40 training and 8 test 4×4 puzzles, seed 3. */
const generateSudoku4 = (output: string) => [
  'generate',
  'sudoku',
  '--size',
  '4',
  '--count',
  '40',
  '--test-count',
  '8',
  '--seed',
  '3',
  '--output',
  output,
];

describe('generate + build-dataset + show, end to end', () => {
  it('trm generate sudoku then trm build-dataset sudoku --source <csv>', async () => {
    const cwd = tempDir();
    const gen = await trm(generateSudoku4('csv'), { cwd });
    expect(gen.code, gen.stderr).toBe(0);
    expect(gen.stdout).toContain('Wrote 48 puzzles');
    onlyEntries(join(cwd, 'csv'), ['test.csv', 'train.csv']);
    expect(readFileSync(join(cwd, 'csv', 'train.csv'), 'utf8').split('\n')[0]).toBe(
      'source,question,answer,rating',
    );

    const build = await trm(
      ['build-dataset', 'sudoku', '--source', 'csv', '--output-dir', 'data/s4', '--num-aug', '2'],
      { cwd },
    );
    expect(build.code, build.stderr).toBe(0);
    expect(build.stdout).toContain('train: 120 examples in 120 puzzles, 40 groups');
    expect(build.stdout).toContain('test:  8 examples');
    const meta = readMetadata(join(cwd, 'data', 's4', 'train', 'dataset.json'));
    expect(meta).toMatchObject({
      seq_len: 16,
      vocab_size: 6,
      total_groups: 40,
      mean_puzzle_examples: 1,
      sets: ['all'],
    });
    for (const f of ['inputs', 'labels', 'puzzle_identifiers', 'puzzle_indices', 'group_indices']) {
      expect(existsSync(join(cwd, 'data', 's4', 'test', `all__${f}.npy`)), f).toBe(true);
    }
    onlyEntries(join(cwd, 'data'), ['s4']);

    // Deterministic: the same seed gives the same CSV.
    await trm(generateSudoku4('csv2'), { cwd });
    expect(readFileSync(join(cwd, 'csv2', 'train.csv'), 'utf8')).toBe(
      readFileSync(join(cwd, 'csv', 'train.csv'), 'utf8'),
    );

    const show = await trm(['show', 'data/s4', '--count', '2'], { cwd });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('test/all #0 input');
    expect(show.stdout).toContain('label');
    expect(show.stdout).toMatch(/\d \d \| \d \d/);
    expect(show.stdout).not.toContain('\x1b[');

    const svg = await trm(
      ['show', 'data/s4', '--split', 'train', '--index', '3', '--count', '2', '--svg', 'out/s.svg'],
      { cwd },
    );
    expect(svg.code, svg.stderr).toBe(0);
    const text = readFileSync(join(cwd, 'out', 's.svg'), 'utf8');
    expect(text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(text).toContain('train/all #4 input');

    const colour = await trm(['show', 'data/s4', '--color'], { cwd });
    expect(colour.code).toBe(0);
    // A checkpoint that does not exist is an input error (it is no hub id either: no owner/repo/file).
    const pred = await trm(['show', 'data/s4', '--checkpoint', 'ckpt.pt'], { cwd });
    expect(pred.code).toBe(2);
    expect(pred.stderr).toContain('ckpt.pt');
    expect((await trm(['show', 'data/s4', '--index', '99'], { cwd })).stderr).toContain(
      '--index 99 is out of range: test/all has 8 examples',
    );

    const csvShow = await trm(['show', 'csv/test.csv', '--index', '1', '--no-labels'], { cwd });
    expect(csvShow.code).toBe(0);
    expect(csvShow.stdout).toContain('test.csv #1');
    expect(csvShow.stdout).not.toContain('label');

    // Existing output without --overwrite: exit 2, untouched; with --overwrite: replaced.
    const again = await trm(
      ['build-dataset', 'sudoku', '--source', 'csv', '--output-dir', 'data/s4'],
      { cwd },
    );
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists. Pass --overwrite');
    const over = await trm(
      [
        'build-dataset',
        'sudoku',
        '--source',
        'csv/train.csv,csv/test.csv',
        '--output-dir',
        'data/s4',
        '--overwrite',
      ],
      { cwd },
    );
    expect(over.code, over.stderr).toBe(0);
    expect(readMetadata(join(cwd, 'data', 's4', 'train', 'dataset.json')).total_groups).toBe(40);
    onlyEntries(join(cwd, 'data'), ['s4']);
  });

  it('leaves nothing half-written when the build fails on a bad row', async () => {
    const cwd = tempDir();
    await trm(
      ['generate', 'sudoku', '--size', '4', '--count', '5', '--test-count', '2', '--output', 'csv'],
      { cwd },
    );
    const train = join(cwd, 'csv', 'train.csv');
    const lines = readFileSync(train, 'utf8').trimEnd().split('\n');
    const cols = lines[3]!.split(',');
    cols[2] = '1111111111111111'; // an answer that is not a Sudoku solution
    lines[3] = cols.join(',');
    writeFileSync(train, `${lines.join('\n')}\n`);
    const r = await trm(
      ['build-dataset', 'sudoku', '--source', 'csv', '--output-dir', 'data/bad'],
      { cwd },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^trm build-dataset sudoku: error: .*train\.csv/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(cwd, 'data', 'bad'))).toBe(false);
    onlyEntries(join(cwd, 'data'), []);
  });

  it('missing inputs exit 2 with a clear message', async () => {
    const cwd = tempDir();
    const cases: [string[], RegExp][] = [
      [['build-dataset', 'sudoku', '--source', 'nope'], /--source nope: no such file or directory/],
      [['build-dataset', 'sudoku', '--source', './nope/dir'], /no such file or directory/],
      [['build-dataset', 'maze', '--source', 'a.csv,b.csv'], /CSV file .*a\.csv does not exist/],
      [
        ['build-dataset', 'arc', '--input-file-prefix', 'kaggle/none'],
        /No ARC challenges file for subsets training, evaluation, concept/,
      ],
      [['show', 'nowhere'], /nowhere does not exist/],
      [['show', '.'], /is not a dataset directory/],
      [
        ['train', '--config-dir', 'no-such-dir', '--print-config'],
        /--config-dir no-such-dir: no such directory/,
      ],
    ];
    for (const [argv, message] of cases) {
      const r = await trm(argv, { cwd });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(message);
    }
    writeFileSync(join(cwd, 'one.csv'), 'source,question,answer,rating\n');
    const single = await trm(['build-dataset', 'sudoku', '--source', 'one.csv'], { cwd });
    expect(single.code).toBe(2);
    expect(single.stderr).toContain('is a single file');
    onlyEntries(cwd, ['one.csv']);
  });

  it('mazes: generate, build with --aug, show', async () => {
    const cwd = tempDir();
    const gen = await trm(
      ['generate', 'maze', '--size', '7', '--count', '4', '--test-count', '2', '--output', 'mz'],
      { cwd },
    );
    expect(gen.code, gen.stderr).toBe(0);
    const build = await trm(
      ['build-dataset', 'maze', '--source', 'mz', '--output-dir', 'data/m7', '--aug'],
      { cwd },
    );
    expect(build.code, build.stderr).toBe(0);
    expect(build.stdout).toContain('train: 32 examples in 32 puzzles, 4 groups');
    const show = await trm(['show', 'data/m7', '--color'], { cwd });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('S');
    expect(show.stdout).toContain('G');
    const single = await trm(
      ['generate', 'maze', '--size', '5', '--count', '3', '--output', 'few.csv'],
      { cwd },
    );
    expect(single.code).toBe(0);
    expect(readFileSync(join(cwd, 'few.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(4);
  });

  it('an impossible difficulty is a usage error and writes nothing', async () => {
    const cwd = tempDir();
    const r = await trm(
      [
        'generate',
        'maze',
        '--size',
        '5',
        '--count',
        '2',
        '--min-path-length',
        '1000',
        '--output',
        'hard',
      ],
      { cwd },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Lower the difficulty');
    onlyEntries(cwd, []);
  });

  it('ARC from Kaggle-style JSON', async () => {
    const cwd = tempDir();
    const pair = (a: number, b: number) => ({
      input: [
        [a, 0],
        [0, a],
      ],
      output: [
        [b, b],
        [b, b],
      ],
    });
    const challenges = (n: number) =>
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [
          `p${i}`,
          {
            train: [pair(1, 2), pair(3, 4)],
            test: [
              {
                input: [
                  [5, 0],
                  [0, 5],
                ],
              },
            ],
          },
        ]),
      );
    const solutions = (n: number) =>
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [
          `p${i}`,
          [
            [
              [6, 6],
              [6, 6],
            ],
          ],
        ]),
      );
    writeFileSync(join(cwd, 'arc_training_challenges.json'), JSON.stringify(challenges(2)));
    writeFileSync(join(cwd, 'arc_training_solutions.json'), JSON.stringify(solutions(2)));
    writeFileSync(join(cwd, 'arc_evaluation_challenges.json'), JSON.stringify(challenges(1)));
    writeFileSync(join(cwd, 'arc_evaluation_solutions.json'), JSON.stringify(solutions(1)));
    const r = await buildArc(cwd, {
      subsets: ['training', 'evaluation'],
      numAug: 2,
      outputDir: 'data/arc',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(readMetadata(join(cwd, 'data', 'arc', 'test', 'dataset.json'))).toMatchObject({
      seq_len: 900,
      vocab_size: 12,
    });
    const show = await trm(['show', 'data/arc', '--split', 'train'], { cwd });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/\d \d/);
  });
});
