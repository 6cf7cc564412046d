/**
 * Malformed dataset directories: `.npy` headers, dtypes, shapes and truncation, the index
 * invariants, `dataset.json` and `identifiers.json`. Each is tried through the command that
 * reads it first (`show` reads without a GPU; `eval` the test split; `train` the train split).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fixtures } from '../lib/fixtures.js';
import type { CaseDir, FuzzCase, Run } from '../lib/harness.js';
import {
  dataset,
  evalArgs,
  mutateArray,
  mutateMeta,
  npyBytes,
  replaceArray,
  trainArgs,
} from './util.js';

type Via = 'show' | 'eval' | 'train';
const VIAS: Via[] = ['show', 'eval', 'train'];

/** The argv that makes `via` read the dataset at `ds` (its train split for train, else test). */
function readVia(via: Via, f: Fixtures, ds: string): string[] {
  if (via === 'show') return ['show', ds, '--split', 'test', '--count', '2'];
  if (via === 'eval') return evalArgs(f, ds);
  return trainArgs(ds);
}

const splitOf = (via: Via) => (via === 'train' ? 'train' : 'test');

/** A case that breaks one array file of a dataset copy and reads it through `via`. */
function arrayCase(
  id: string,
  via: Via,
  field: string,
  breakIt: (ws: CaseDir, ds: string, split: 'train' | 'test') => void,
  names: (string | RegExp)[] = [`all__${field}.npy`],
): (f: Fixtures) => FuzzCase {
  return (f) => ({
    id: `npy/${id}/${via}`,
    klass: 'npy',
    arrange(ws): Run {
      const ds = dataset(ws, f);
      breakIt(ws, ds, splitOf(via));
      return { argv: readVia(via, f, ds), code: 2, names };
    },
  });
}

const raw = (bytes: Buffer) => (_ws: CaseDir, ds: string, split: 'train' | 'test') =>
  replaceArray(ds, split, 'inputs', bytes);

/** Broken `.npy` containers (tried on `inputs`). */
const containerCases: [string, Buffer][] = [
  ['empty-file', Buffer.alloc(0)],
  ['bad-magic', npyBytes({ magic: Buffer.from('\x93NUMPX', 'latin1') })],
  ['version-9', npyBytes({ version: [9, 0] })],
  ['header-len-past-eof', npyBytes({ headerLen: 65000 })],
  ['header-len-zero', npyBytes({ headerLen: 0 })],
  ['header-not-dict', npyBytes({ header: "['descr', '<i4']" })],
  ['header-garbage', npyBytes({ header: '{descr: <<<' })],
  ['header-missing-shape', npyBytes({ header: "{'descr': '<i4', 'fortran_order': False, }" })],
  ['descr-object', npyBytes({ descr: '|O', shape: '(2, 16)' })],
  ['descr-big-endian', npyBytes({ descr: '>i4', shape: '(2, 16)', data: new Uint8Array(128) })],
  ['descr-unknown', npyBytes({ descr: '<c16', shape: '(2, 16)' })],
  ['fortran-order', npyBytes({ fortran: 'True', shape: '(2, 16)', data: new Uint8Array(128) })],
  ['shape-negative', npyBytes({ shape: '(-3, 16)' })],
  ['shape-float', npyBytes({ shape: '(2.5, 16)' })],
  ['shape-huge', npyBytes({ descr: '|u1', shape: '(1000000000000, 16)' })],
  ['shape-overflow', npyBytes({ descr: '|u1', shape: '(4294967296, 4294967296)' })],
  ['truncated-data', npyBytes({ descr: '<i4', shape: '(8, 16)', data: new Uint8Array(100) })],
];

/** Arrays with valid containers but values or shapes that break the dataset's invariants. */
const invariantCases: [
  string,
  string,
  (d: number[], s: number[]) => ReturnType<Parameters<typeof mutateArray>[3]>,
  import('@trm/datasets').NpyDtype?,
][] = [
  ['token-over-vocab', 'inputs', (d) => ({ data: d.map((x, i) => (i === 5 ? 6 : x)) })],
  ['token-255', 'inputs', (d) => ({ data: d.map((x, i) => (i === 0 ? 255 : x)) })],
  ['token-negative-i4', 'inputs', (d) => ({ data: d.map((x, i) => (i === 3 ? -1 : x)) }), 'i4'],
  [
    'token-i8-overflow',
    'inputs',
    (d) => ({ data: d.map((x, i) => (i === 3 ? 2 ** 40 : x)) }),
    'i8',
  ],
  ['label-over-vocab', 'labels', (d) => ({ data: d.map((x, i) => (i === 7 ? 9 : x)) })],
  ['label-float', 'labels', (d) => ({ data: d.map((x) => x + 0.5) }), 'f4'],
  [
    'inputs-wrong-seq-len',
    'inputs',
    (d, s) => ({ data: d.slice(0, s[0]! * 8), shape: [s[0]!, 8] }),
  ],
  ['inputs-1d', 'inputs', (d) => ({ data: d, shape: [d.length] })],
  [
    'labels-fewer-rows',
    'labels',
    (d, s) => ({ data: d.slice(0, (s[0]! - 1) * s[1]!), shape: [s[0]! - 1, s[1]!] }),
  ],
  [
    'puzzle-id-negative',
    'puzzle_identifiers',
    (d) => ({ data: d.map((x, i) => (i === 1 ? -5 : x)) }),
  ],
  [
    'puzzle-id-out-of-range',
    'puzzle_identifiers',
    (d) => ({ data: d.map((x, i) => (i === 1 ? 1023 : x)) }),
  ],
  [
    'puzzle-indices-not-monotonic',
    'puzzle_indices',
    (d) => ({ data: d.map((x, i) => (i === 2 ? 0 : x)) }),
  ],
  [
    'puzzle-indices-not-from-0',
    'puzzle_indices',
    (d) => ({ data: d.map((x, i) => (i === 0 ? 1 : x)) }),
  ],
  [
    'puzzle-indices-past-end',
    'puzzle_indices',
    (d) => ({ data: d.map((x, i) => (i === d.length - 1 ? x + 50 : x)) }),
  ],
  [
    'puzzle-indices-negative',
    'puzzle_indices',
    (d) => ({ data: d.map((x, i) => (i === 1 ? -4 : x)) }),
  ],
  [
    'group-indices-not-monotonic',
    'group_indices',
    (d) => ({ data: d.map((x, i) => (i === 2 ? 0 : x)) }),
  ],
  [
    'group-indices-past-end',
    'group_indices',
    (d) => ({ data: d.map((x, i) => (i === d.length - 1 ? x + 9 : x)) }),
  ],
  ['group-indices-empty', 'group_indices', () => ({ data: [], shape: [0] })],
  [
    'puzzle-indices-i8-overflow',
    'puzzle_indices',
    (d) => ({ data: d.map((x, i) => (i === 1 ? 2 ** 33 : x)) }),
    'i8',
  ],
];

export function datasetFileCases(f: Fixtures): FuzzCase[] {
  const out: FuzzCase[] = [];
  for (const [id, bytes] of containerCases) {
    // Every container case through show; a few through eval and train as well.
    const vias: Via[] = [
      'empty-file',
      'shape-huge',
      'truncated-data',
      'header-len-past-eof',
    ].includes(id)
      ? VIAS
      : ['show'];
    for (const via of vias) out.push(arrayCase(id, via, 'inputs', raw(bytes))(f));
  }
  for (const [id, field, edit, dtype] of invariantCases) {
    const vias: Via[] = [
      'token-over-vocab',
      'puzzle-id-out-of-range',
      'group-indices-not-monotonic',
    ].includes(id)
      ? VIAS
      : [id.startsWith('group') || id.startsWith('puzzle-id') ? 'train' : 'eval'];
    for (const via of vias)
      out.push(
        arrayCase(id, via, field, (_ws, ds, split) => {
          mutateArray(ds, split, field, edit, dtype);
        })(f),
      );
  }
  out.push(
    arrayCase('missing-file', 'eval', 'labels', (_ws, ds, split) =>
      rmSync(join(ds, split, 'all__labels.npy')),
    )(f),
    arrayCase('directory-instead', 'show', 'inputs', (_ws, ds, split) => {
      const p = join(ds, split, 'all__inputs.npy');
      rmSync(p);
      mkdirSync(p);
    })(f),
    arrayCase('fifo-instead', 'show', 'inputs', (_ws, ds, split) => {
      const p = join(ds, split, 'all__inputs.npy');
      rmSync(p);
      execFileSync('mkfifo', [p]);
    })(f),
  );
  out.push(...metadataCases(f), ...identifierCases(f));
  return out;
}

/** `dataset.json` with bad values, through the command that reads it. */
function metadataCases(f: Fixtures): FuzzCase[] {
  const cases: [string, (m: Record<string, unknown>) => unknown, (string | RegExp)[], Via][] = [
    ['not-json', () => '{"seq_len": 16,', ['dataset.json'], 'show'],
    ['not-object', () => '[1, 2, 3]', ['dataset.json'], 'eval'],
    ['empty', () => '', ['dataset.json'], 'train'],
    ['seq-len-huge', (m) => ({ ...m, seq_len: 1e8 }), ['seq_len'], 'train'],
    ['seq-len-huge-eval', (m) => ({ ...m, seq_len: 1e8 }), ['seq_len'], 'eval'],
    ['seq-len-zero', (m) => ({ ...m, seq_len: 0 }), ['seq_len'], 'show'],
    ['seq-len-float', (m) => ({ ...m, seq_len: 16.5 }), ['seq_len'], 'eval'],
    ['seq-len-string', (m) => ({ ...m, seq_len: '16' }), ['seq_len'], 'train'],
    ['vocab-zero', (m) => ({ ...m, vocab_size: 0 }), ['vocab_size'], 'eval'],
    ['vocab-huge', (m) => ({ ...m, vocab_size: 2 ** 40 }), ['vocab_size'], 'train'],
    ['pad-out-of-vocab', (m) => ({ ...m, pad_id: 99 }), ['pad_id'], 'eval'],
    ['missing-vocab', (m) => ({ ...m, vocab_size: undefined }), ['vocab_size'], 'show'],
    ['sets-empty', (m) => ({ ...m, sets: [] }), ['sets'], 'eval'],
    ['sets-unknown', (m) => ({ ...m, sets: ['all', 'extra'] }), ['extra'], 'eval'],
    ['puzzles-negative', (m) => ({ ...m, total_puzzles: -4 }), ['total_puzzles'], 'train'],
    [
      'num-ids-zero',
      (m) => ({ ...m, num_puzzle_identifiers: 0 }),
      ['num_puzzle_identifiers'],
      'train',
    ],
    [
      'num-ids-huge',
      (m) => ({ ...m, num_puzzle_identifiers: 1e12 }),
      ['num_puzzle_identifiers'],
      'train',
    ],
  ];
  return cases.map(([id, edit, names, via]) => ({
    id: `dataset.json/${id}/${via}`,
    klass: 'dataset.json' as const,
    arrange(ws: CaseDir): Run {
      const ds = dataset(ws, f);
      mutateMeta(ds, splitOf(via), edit);
      return { argv: readVia(via, f, ds), code: 2, names: ['dataset.json', ...names] };
    },
  }));
}

/** Broken `identifiers.json`, read by `show` (names) and by training (the puzzle table). */
function identifierCases(f: Fixtures): FuzzCase[] {
  const cases: [string, string, Via][] = [
    ['not-json', '["<blank>", ', 'show'],
    ['not-array', '{"0": "<blank>"}', 'eval'],
    ['numbers', '[1, 2, 3]', 'show'],
    ['null-entry', '[null]', 'show'],
    ['too-short', '[]', 'train'],
    ['huge-string', JSON.stringify(['<blank>', 'x'.repeat(1 << 20)]), 'show'],
  ];
  return cases.map(([id, text, via]) => ({
    id: `identifiers.json/${id}/${via}`,
    klass: 'identifiers.json' as const,
    arrange(ws: CaseDir): Run {
      const ds = dataset(ws, f);
      const file = join(ds, 'identifiers.json');
      writeFileSync(file, text);
      return { argv: readVia(via, f, ds), code: 2, names: ['identifiers.json'] };
    },
  }));
}
