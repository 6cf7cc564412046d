/**
 * Where outputs go and what happens around them: existing and non-empty directories (nothing
 * of the user's may be deleted or overwritten), paths under regular files, full disks,
 * signals in the middle of a write, and hub servers that never answer.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Fixtures } from '../lib/fixtures.js';
import type { CaseDir, FuzzCase, Run, RunResult } from '../lib/harness.js';
import { evalArgs, trainArgs } from './util.js';

/** The test-only hooks (see the file), preloaded into a case's `trm` through NODE_OPTIONS. */
const FAULT_INJECTION = fileURLToPath(
  new URL('../../test/support/fault-injection.mjs', import.meta.url),
);

/** Loopback servers the hub cases talk to. */
export interface HubServers {
  /** Accepts connections and never answers. */
  silent: string;
  /** Answers 404 to everything. */
  notFound: string;
}

const USER_FILE = 'my-notes.txt';
const USER_TEXT = 'precious user data\n';

/** A directory holding one file of the user's. */
function userDir(ws: CaseDir, rel: string): string {
  mkdirSync(ws.path(rel), { recursive: true });
  writeFileSync(ws.path(join(rel, USER_FILE)), USER_TEXT);
  return rel;
}

/** Throws when a temporary or staging sibling is left anywhere under `dir`. */
export function assertNoTemporaries(dir: string): void {
  const walk = (d: string) => {
    for (const name of readdirSync(d, { withFileTypes: true })) {
      if (/\.tmp\b|\.tmp-|\.incomplete$|^\.trm-/.test(name.name))
        throw new Error(`temporary ${join(d, name.name)} left behind`);
      if (name.isDirectory()) walk(join(d, name.name));
    }
  };
  walk(dir);
}

/** The mount wrapper: runs the command with a tiny tmpfs at `<case>/small` (own namespace). */
function tinyTmpfs(kib: number): string[] {
  return [
    'unshare',
    '-rm',
    'sh',
    '-c',
    `mount -t tmpfs -o size=${kib}k tmpfs small && exec "$@"`,
    'sh',
  ];
}

let tmpfsWorks: boolean | undefined;
/** Whether this machine lets an unprivileged namespace mount a tmpfs (skip the case if not). */
export function canMountTmpfs(): string | false {
  if (tmpfsWorks === undefined) {
    const r = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt'], {
      stdio: 'ignore',
    });
    tmpfsWorks = r.status === 0;
  }
  return tmpfsWorks ? false : 'cannot mount a tmpfs in a user namespace here';
}

function outputCases(f: Fixtures): FuzzCase[] {
  const c = (id: string, arrange: (ws: CaseDir) => Run, skip?: () => string | false): FuzzCase => ({
    id: `output-paths/${id}`,
    klass: 'output-paths',
    arrange,
    ...(skip ? { skip } : {}),
  });
  const userFileIntact = (ws: CaseDir, rel: string) => () => {
    if (readFileSync(ws.path(join(rel, USER_FILE)), 'utf8') !== USER_TEXT)
      throw new Error('the user file was changed');
  };
  return [
    c('eval-outdir-nonempty', (ws) => ({
      argv: [...evalArgs(f, f.dataset).slice(0, -2), '--outdir', userDir(ws, 'mine')],
      code: 2,
      names: ['mine', '--overwrite'],
    })),
    c('eval-outdir-cwd', (ws) => {
      writeFileSync(ws.path(USER_FILE), USER_TEXT);
      return {
        argv: [...evalArgs(f, f.dataset).slice(0, -2), '--outdir', '.'],
        code: 2,
        names: ['--overwrite'],
      };
    }),
    c('eval-outdir-dataset', (ws) => {
      cpSync(f.dataset, ws.path('ds'), { recursive: true });
      return {
        argv: [...evalArgs(f, f.dataset).slice(0, -2), '--outdir', 'ds'],
        code: 2,
        names: ['ds'],
      };
    }),
    c('eval-outdir-is-file', (ws) => {
      writeFileSync(ws.path('out'), USER_TEXT);
      return { argv: evalArgs(f, f.dataset), code: 2, names: ['out'] };
    }),
    c('eval-outdir-under-file', (ws) => {
      writeFileSync(ws.path('afile'), USER_TEXT);
      return {
        argv: [...evalArgs(f, f.dataset).slice(0, -2), '--outdir', 'afile/out'],
        code: 2,
        names: ['afile'],
      };
    }),
    c('eval-outdir-overwrite-keeps-user-files', (ws) => {
      const dir = userDir(ws, 'mine');
      writeFileSync(ws.path('mine/preds.npy'), 'old');
      return {
        argv: [
          ...evalArgs(f, f.dataset).slice(0, -2),
          '--outdir',
          dir,
          '--overwrite',
          '--eval-save-outputs',
          'preds',
        ],
        code: 0,
        check: (r: RunResult) => {
          userFileIntact(ws, 'mine')();
          if (readFileSync(ws.path('mine/preds.npy')).subarray(1, 6).toString() !== 'NUMPY')
            throw new Error('preds.npy was not replaced');
          const changed = [...r.after.keys()].filter(
            (k) => r.before.has(k) && r.before.get(k) !== r.after.get(k),
          );
          if (changed.some((k) => !/^mine\/(preds\.npy|metrics\.json)$|^mine$/.test(k)))
            throw new Error(`changed more than trm's files: ${changed.join(', ')}`);
          assertNoTemporaries(ws.dir);
        },
      };
    }),
    c('train-run-dir-nonempty', (ws) => {
      userDir(ws, 'run');
      return { argv: trainArgs(f.dataset), code: 2, names: ['run', '--overwrite'] };
    }),
    c('train-run-dir-is-file', (ws) => {
      writeFileSync(ws.path('run'), USER_TEXT);
      return { argv: trainArgs(f.dataset), code: 2, names: ['run'] };
    }),
    c('train-run-dir-under-file', (ws) => {
      writeFileSync(ws.path('afile'), USER_TEXT);
      return { argv: trainArgs(f.dataset, 'checkpoint_path=afile/run'), code: 2, names: ['afile'] };
    }),
    c('build-output-exists', (ws) => ({
      argv: ['build-dataset', 'sudoku', '--source', f.sudokuCsv, '--output-dir', userDir(ws, 'o')],
      code: 2,
      names: ['o', '--overwrite'],
    })),
    c('build-overwrite-user-dir', (ws) => ({
      argv: [
        'build-dataset',
        'sudoku',
        '--source',
        f.sudokuCsv,
        '--output-dir',
        userDir(ws, 'o'),
        '--overwrite',
      ],
      code: 2,
      names: ['o'],
    })),
    c('build-overwrite-cwd', () => ({
      argv: [
        'build-dataset',
        'sudoku',
        '--source',
        f.sudokuCsv,
        '--output-dir',
        '.',
        '--overwrite',
      ],
      code: 2,
      names: [/working directory/],
    })),
    c('build-output-under-file', (ws) => {
      writeFileSync(ws.path('afile'), USER_TEXT);
      return {
        argv: ['build-dataset', 'maze', '--source', f.mazeCsv, '--output-dir', 'afile/ds'],
        code: 2,
        names: ['afile'],
      };
    }),
    c('generate-output-exists', (ws) => {
      writeFileSync(ws.path('p.csv'), USER_TEXT);
      return {
        argv: ['generate', 'sudoku', '--size', '4', '--count', '3', '--output', 'p.csv'],
        code: 2,
        names: ['p.csv'],
      };
    }),
    c('generate-output-under-file', (ws) => {
      writeFileSync(ws.path('afile'), USER_TEXT);
      return {
        argv: ['generate', 'sudoku', '--size', '4', '--count', '3', '--output', 'afile/p.csv'],
        code: 2,
        names: ['afile'],
      };
    }),
    c('generate-csv-is-dir', (ws) => {
      mkdirSync(ws.path('p.csv'));
      return {
        argv: ['generate', 'maze', '--count', '3', '--output', 'p.csv'],
        code: 2,
        names: ['p.csv'],
      };
    }),
    c('generate-overwrite-user-dir', (ws) => ({
      argv: [
        'generate',
        'sudoku',
        '--size',
        '4',
        '--count',
        '3',
        '--test-count',
        '1',
        '--output',
        userDir(ws, 'd'),
        '--overwrite',
      ],
      code: 2,
      names: ['d'],
    })),
    ...(
      [
        [
          'generate-full-disk',
          () => ['generate', 'sudoku', '--size', '9', '--count', '3000', '--output', 'small/p.csv'],
        ],
        [
          'build-full-disk',
          () => [
            'build-dataset',
            'sudoku',
            '--source',
            f.sudokuCsv,
            '--output-dir',
            'small/ds',
            '--num-aug',
            '60',
          ],
        ],
        [
          'eval-full-disk',
          () => [
            ...evalArgs(f, f.dataset).slice(0, -2),
            '--outdir',
            'small/out',
            '--eval-save-outputs',
            'preds',
            'inputs',
            'labels',
            'q_halt_logits',
          ],
        ],
      ] as [string, () => string[]][]
    ).map(([id, argv]) =>
      c(
        id,
        (ws) => {
          mkdirSync(ws.path('small'));
          return {
            argv: argv(),
            wrap: tinyTmpfs(id === 'eval-full-disk' ? 4 : 16),
            code: 1,
            names: [/small/, /space|full/i],
            changes: 'any' as const,
          };
        },
        canMountTmpfs,
      ),
    ),
  ];
}

/**
 * Augmentations that make a build of the 24-puzzle fixture write for seconds (about 4.8M
 * examples), and the progress line that only a write still under way prints (in a log, the
 * first one comes after a second; a finished write prints only its final "done" line).
 */
const BIG_AUG = '200000';
const MID_WRITE = /writing train +\d+%/;

function signalCases(f: Fixtures): FuzzCase[] {
  const c = (id: string, arrange: (ws: CaseDir) => Run): FuzzCase => ({
    id: `signals/${id}`,
    klass: 'signals',
    arrange,
  });
  return [
    c('sigint-train', (ws) => ({
      argv: trainArgs(f.dataset, 'epochs=40'),
      code: 130,
      kill: { when: /checkpoint .*step_\d+\.safetensors/, signal: 'SIGINT' },
      changes: 'any',
      maxSeconds: 120,
      check: (r) => {
        assertNoTemporaries(ws.dir);
        if (!/--resume/.test(r.stderr)) throw new Error('no --resume hint after Ctrl-C');
      },
    })),
    c('sigint-eval', () => ({
      // One puzzle a batch, each step held back (test-only hook) so the evaluation is surely
      // still running when the signal lands, however late this process reads the progress.
      argv: evalArgs(f, f.dataset, f.checkpoint, '--global-batch-size', '1'),
      env: {
        NODE_OPTIONS: `--import ${FAULT_INJECTION}`,
        TRM_TEST_EVAL_STEP_DELAY_MS: '1000',
      },
      code: 130,
      kill: { when: /batch 2\//, signal: 'SIGINT' },
      changes: 'none',
    })),
    c('sigkill-build-then-rerun', (ws) => ({
      argv: [
        'build-dataset',
        'sudoku',
        '--source',
        f.sudokuCsv,
        '--output-dir',
        'ds',
        '--num-aug',
        BIG_AUG,
      ],
      code: 137,
      kill: { when: MID_WRITE, signal: 'SIGKILL' },
      changes: 'any',
      rerun: {
        argv: [
          'build-dataset',
          'sudoku',
          '--source',
          f.sudokuCsv,
          '--output-dir',
          'ds',
          '--num-aug',
          '1',
        ],
        code: 0,
      },
      check: () => {
        assertNoTemporaries(ws.dir);
        if (!existsSync(ws.path('ds/train/dataset.json')))
          throw new Error('the rerun built nothing');
      },
    })),
    c('sigkill-generate-then-rerun', (ws) => ({
      argv: [
        'generate',
        'sudoku',
        '--size',
        '9',
        '--count',
        '3000',
        '--test-count',
        '10',
        '--output',
        'csv',
      ],
      code: 137,
      kill: { when: /generating/, signal: 'SIGKILL' },
      changes: 'any',
      rerun: {
        argv: ['generate', 'sudoku', '--size', '4', '--count', '5', '--output', 'csv'],
        code: 0,
      },
      check: () => assertNoTemporaries(ws.dir),
    })),
    c('sigterm-build-then-rerun', (ws) => ({
      argv: [
        'build-dataset',
        'sudoku',
        '--source',
        f.sudokuCsv,
        '--output-dir',
        'ds',
        '--num-aug',
        BIG_AUG,
      ],
      code: 143,
      kill: { when: MID_WRITE, signal: 'SIGTERM' },
      changes: 'any',
      rerun: {
        argv: ['build-dataset', 'sudoku', '--source', f.sudokuCsv, '--output-dir', 'ds'],
        code: 0,
      },
      check: () => assertNoTemporaries(ws.dir),
    })),
  ];
}

function hubCases(f: Fixtures, hub: HubServers): FuzzCase[] {
  // The servers start in beforeAll: their URLs are read when a case runs, not when it is listed.
  const c = (
    id: string,
    argv: () => string[],
    server: 'silent' | 'notFound',
    code: number,
    names: (string | RegExp)[],
  ): FuzzCase => ({
    id: `hub/${id}`,
    klass: 'hub',
    arrange: () => ({
      argv: argv(),
      env: {
        HF_ENDPOINT: hub[server],
        HF_HUB_OFFLINE: '0',
        HF_HUB_DOWNLOAD_TIMEOUT: '2',
        TRM_HUB_RETRIES: '1',
      },
      code,
      names,
      maxSeconds: 40,
    }),
  });
  const timeout = /no response within 2 s/;
  return [
    c(
      'dataset-silent-server',
      () => ['build-dataset', 'sudoku', '--source', 'someone/sudoku', '--output-dir', 'o'],
      'silent',
      1,
      ['127.0.0.1', timeout],
    ),
    c(
      'checkpoint-silent-server',
      () => evalArgs(f, f.dataset, 'someone/model/step.safetensors'),
      'silent',
      1,
      ['127.0.0.1', timeout],
    ),
    c(
      'load-checkpoint-silent-server',
      () => trainArgs(f.dataset, 'load_checkpoint=someone/model/w.pt'),
      'silent',
      1,
      ['127.0.0.1', timeout],
    ),
    c(
      'dataset-404',
      () => ['build-dataset', 'maze', '--source', 'someone/missing', '--output-dir', 'o'],
      'notFound',
      2,
      ['someone/missing'],
    ),
    c('checkpoint-404', () => evalArgs(f, f.dataset, 'someone/model/none.pt'), 'notFound', 2, [
      /someone\/model/,
    ]),
  ];
}

export function outputSignalHubCases(f: Fixtures, hub: HubServers): FuzzCase[] {
  return [...outputCases(f), ...signalCases(f), ...hubCases(f, hub)];
}
