/**
 * Bad source data for the dataset builders: Sudoku and maze CSVs, and ARC challenge JSON.
 * Every case must exit 2 naming the file (and the row or puzzle), and build nothing.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Fixtures } from '../lib/fixtures.js';
import type { CaseDir, FuzzCase, Run } from '../lib/harness.js';

const SUDOKU_HEADER = 'source,question,answer,rating';

/** A CSV pair in the case directory: `train` (broken) and the fixture's test.csv. */
function csvPair(ws: CaseDir, f: Fixtures, kind: 'sudoku' | 'maze', train: string): string {
  const dir = ws.path('src');
  const from = kind === 'sudoku' ? f.sudokuCsv : f.mazeCsv;
  mkdirSync(dir);
  writeFileSync(`${dir}/train.csv`, train);
  writeFileSync(`${dir}/test.csv`, readFileSync(`${from}/test.csv`));
  return dir;
}

const goodRows = (f: Fixtures, kind: 'sudoku' | 'maze') =>
  readFileSync(`${kind === 'sudoku' ? f.sudokuCsv : f.mazeCsv}/train.csv`, 'utf8')
    .trim()
    .split('\n')
    .slice(1);

function csvCase(
  kind: 'sudoku' | 'maze',
  id: string,
  train: (rows: string[]) => string,
  names: (string | RegExp)[] = ['train.csv'],
): (f: Fixtures) => FuzzCase {
  return (f) => ({
    id: `csv/${kind}/${id}`,
    klass: 'csv',
    arrange(ws): Run {
      const src = csvPair(ws, f, kind, train(goodRows(f, kind)));
      return {
        argv: ['build-dataset', kind, '--source', src, '--output-dir', 'out'],
        code: 2,
        names,
      };
    },
  });
}

const withRow = (rows: string[], i: number, row: string) =>
  [SUDOKU_HEADER, ...rows.map((r, j) => (j === i ? row : r))].join('\n');

const csvCases = [
  csvCase('sudoku', 'header-only', () => `${SUDOKU_HEADER}\n`),
  csvCase('sudoku', 'empty-file', () => ''),
  csvCase('sudoku', 'no-header', (rows) => rows.join('\n')),
  csvCase('sudoku', 'wrong-header', (rows) => ['a,b,c,d', ...rows].join('\n')),
  csvCase('sudoku', 'short-question', (rows) => withRow(rows, 2, 'x,1.3,1234123412341234,0'), [
    /train\.csv:4:|(line|row) 4/,
  ]),
  csvCase(
    'sudoku',
    'bad-char',
    (rows) => withRow(rows, 1, 'x,....2.4Z4.2.....,1432234141233214,0'),
    ['train.csv'],
  ),
  csvCase('sudoku', 'answer-contradicts', (rows) =>
    withRow(rows, 0, 'x,1...............,2432234141233214,0'),
  ),
  csvCase('sudoku', 'rating-not-number', (rows) =>
    withRow(rows, 0, 'x,....2.414.2.....,1432234141233214,hard'),
  ),
  csvCase('sudoku', 'missing-column', (rows) => withRow(rows, 3, 'x,....2.414.2.....')),
  csvCase('sudoku', 'binary-garbage', () => '\x00\x01\x02\xff\xfe'.repeat(100)),
  csvCase('sudoku', 'unbalanced-quote', (rows) =>
    withRow(rows, 0, 'x,"....2.414.2.....,1432234141233214,0'),
  ),
  csvCase('maze', 'no-start', (rows) =>
    [SUDOKU_HEADER, ...rows.map((r, i) => (i === 1 ? r.replace('S', ' ') : r))].join('\n'),
  ),
  csvCase('maze', 'two-starts', (rows) =>
    [SUDOKU_HEADER, ...rows.map((r, i) => (i === 0 ? r.replace(/^([^,]*,) /, '$1S') : r))].join(
      '\n',
    ),
  ),
  csvCase('maze', 'no-goal', (rows) =>
    [SUDOKU_HEADER, ...rows.map((r, i) => (i === 0 ? r.replace('G', ' ') : r))].join('\n'),
  ),
  csvCase('maze', 'not-square', (rows) =>
    [
      SUDOKU_HEADER,
      ...rows.map((r, i) => (i === 0 ? r.replace(/^([^,]*,)([^,]*)/, '$1$2   ') : r)),
    ].join('\n'),
  ),
  csvCase('maze', 'header-only', () => `${SUDOKU_HEADER}\n`),
  csvCase('maze', 'bad-char', (rows) =>
    [SUDOKU_HEADER, ...rows.map((r, i) => (i === 0 ? r.replace(/^([^,]*,)./, '$1Q') : r))].join(
      '\n',
    ),
  ),
];

/** The CSV `--source` forms that cannot work. */
function sourceFormCases(f: Fixtures): FuzzCase[] {
  const forms: [string, (ws: CaseDir) => string, string][] = [
    ['missing-dir', () => 'no-such-dir', 'no-such-dir'],
    ['single-file', () => `${f.sudokuCsv}/train.csv`, 'train.csv'],
    [
      'dir-without-test',
      (ws) => {
        csvPair(ws, f, 'sudoku', readFileSync(`${f.sudokuCsv}/train.csv`, 'utf8'));
        rmSync(ws.path('src/test.csv'));
        return 'src';
      },
      'test.csv',
    ],
    ['pair-missing-second', () => `${f.sudokuCsv}/train.csv,nope.csv`, 'nope.csv'],
    ['pair-three', () => 'a.csv,b.csv,c.csv', 'a.csv,b.csv,c.csv'],
  ];
  return forms.map(([id, src, name]) => ({
    id: `csv/source/${id}`,
    klass: 'csv' as const,
    arrange(ws: CaseDir): Run {
      return {
        argv: ['build-dataset', 'sudoku', '--source', src(ws), '--output-dir', 'out'],
        code: 2,
        names: [name],
      };
    },
  }));
}

/** ARC challenge files with one thing wrong in the first puzzle. */
function arcCases(f: Fixtures): FuzzCase[] {
  /** Challenges and solutions as parsed JSON, broken in place (or replaced by text). */
  // biome-ignore lint/suspicious/noExplicitAny: hostile test data has no type to check.
  type Json = Record<string, any>;
  // biome-ignore lint/suspicious/noConfusingVoidType: an edit returns replacement text or nothing.
  const edits: [string, (c: Json, s: Json) => string | void, string[]][] = [
    ['not-json', () => '{"a": [', ['challenges.json']],
    ['not-object', () => '[1, 2]', ['challenges.json']],
    [
      'missing-train',
      (c) => {
        delete c[Object.keys(c)[0]!].train;
      },
      ['tr0abc'],
    ],
    [
      'missing-test',
      (c) => {
        delete c[Object.keys(c)[0]!].test;
      },
      ['tr0abc'],
    ],
    [
      'ragged-grid',
      (c) => {
        c[Object.keys(c)[0]!].train[0].input = [[1, 2], [3]];
      },
      ['tr0abc'],
    ],
    [
      'colour-10',
      (c) => {
        c[Object.keys(c)[0]!].train[0].input = [
          [10, 1],
          [1, 1],
        ];
      },
      ['tr0abc'],
    ],
    [
      'colour-negative',
      (c) => {
        c[Object.keys(c)[0]!].train[1].output = [[-1]];
      },
      ['tr0abc'],
    ],
    [
      'grid-31x31',
      (c) => {
        c[Object.keys(c)[0]!].train[0].input = Array.from({ length: 31 }, () => Array(31).fill(1));
      },
      ['tr0abc'],
    ],
    [
      'empty-grid',
      (c) => {
        c[Object.keys(c)[0]!].train[0].input = [];
      },
      ['tr0abc'],
    ],
    [
      'grid-strings',
      (c) => {
        c[Object.keys(c)[0]!].train[0].input = ['12', '34'];
      },
      ['tr0abc'],
    ],
    [
      'empty-train',
      (c) => {
        c[Object.keys(c)[0]!].train = [];
      },
      ['tr0abc'],
    ],
    [
      'solutions-mismatch',
      (_c, s) => {
        s[Object.keys(s)[0]!] = [];
      },
      ['tr0abc'],
    ],
    [
      'solutions-not-json',
      (_c, s) => {
        void s;
        return 'SOLUTIONS';
      },
      ['solutions.json'],
    ],
  ];
  return edits.map(([id, edit, names]) => ({
    id: `arc-json/${id}`,
    klass: 'arc-json' as const,
    arrange(ws: CaseDir): Run {
      mkdirSync(ws.path('arc'));
      const prefix = ws.path('arc/mini');
      for (const subset of ['training', 'evaluation']) {
        const cFile = `${f.arcPrefix}_${subset}_challenges.json`;
        const sFile = `${f.arcPrefix}_${subset}_solutions.json`;
        const c = JSON.parse(readFileSync(cFile, 'utf8'));
        const s = JSON.parse(readFileSync(sFile, 'utf8'));
        let cText = JSON.stringify(c);
        let sText = JSON.stringify(s);
        if (subset === 'training') {
          const r = edit(c, s);
          if (typeof r === 'string') {
            if (id.startsWith('solutions')) sText = r;
            else cText = r;
          } else {
            cText = JSON.stringify(c);
            sText = JSON.stringify(s);
          }
        }
        writeFileSync(`${prefix}_${subset}_challenges.json`, cText);
        writeFileSync(`${prefix}_${subset}_solutions.json`, sText);
      }
      return {
        argv: [
          'build-dataset',
          'arc',
          '--input-file-prefix',
          prefix,
          '--output-dir',
          'out',
          '--subsets',
          'training',
          'evaluation',
          '--test-set-name',
          'evaluation',
          '--num-aug',
          '0',
        ],
        code: 2,
        names,
      };
    },
  }));
}

export function sourceCases(f: Fixtures): FuzzCase[] {
  return [...csvCases.map((c) => c(f)), ...sourceFormCases(f), ...arcCases(f)];
}
