import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError, HubError, NpyError, SourceDataError } from '@trm/datasets';
import { CheckpointFormatError, CheckpointSecurityError } from '@trm/model';
import { StateDictError } from '@trm/nn';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  ConfigError,
  commandGroups,
  commands,
  createEvalCommand,
  createTrainCommand,
  type EvalContext,
  exitCodeFor,
  InputError,
  parseCommandArgs,
  type TrainContext,
  UsageError,
} from '../src/index.js';
import { tempDir, trm } from './helpers.js';

describe('command metadata', () => {
  it('covers every workflow of the reference README', () => {
    const names = commands.map((c) => c.name);
    for (const n of [
      'build-dataset sudoku',
      'build-dataset maze',
      'build-dataset arc',
      'eval',
      'train',
      'generate sudoku',
      'generate maze',
      'show',
    ]) {
      expect(names).toContain(n);
    }
  });

  it('is complete data the docs can render', () => {
    for (const c of commands) {
      expect(c.summary.length, c.name).toBeGreaterThan(10);
      expect(c.usage.startsWith(c.name), c.name).toBe(true);
      expect(c.examples.length, c.name).toBeGreaterThan(0);
      for (const e of c.examples)
        expect(e.command.startsWith(`trm ${c.name}`), e.command).toBe(true);
      for (const f of c.flags) {
        expect(f.name).toMatch(/^[a-z][a-z0-9-]*$/);
        expect(f.description.length, `${c.name} --${f.name}`).toBeGreaterThan(5);
      }
    }
    for (const g of commandGroups)
      for (const s of g.subcommands) expect(commands.some((c) => c.name === s)).toBe(true);
    expect(JSON.parse(JSON.stringify(commands))).toEqual(commands);
  });

  it('eval has the reference run_eval_only flags', () => {
    const ev = commands.find((c) => c.name === 'eval')!;
    expect(ev.flags.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        'checkpoint',
        'dataset',
        'outdir',
        'eval-save-outputs',
        'global-batch-size',
        'apply-ema',
        'ema-shadow',
        'one-batch',
        'act-inference',
        'per-step',
        'puzzle-ids',
        'config-dir',
        'preset',
      ]),
    );
    expect(ev.flags.find((f) => f.name === 'eval-save-outputs')!.default).toEqual([
      'inputs',
      'labels',
      'puzzle_identifiers',
      'preds',
    ]);
  });

  it('builders default like the reference', () => {
    const d = (cmd: string, flag: string) =>
      commands.find((c) => c.name === cmd)!.flags.find((f) => f.name === flag)!.default;
    expect(d('build-dataset sudoku', 'output-dir')).toBe('data/sudoku-extreme-full');
    expect(d('build-dataset sudoku', 'source')).toBe('sapientinc/sudoku-extreme');
    expect(d('build-dataset maze', 'output-dir')).toBe('data/maze-30x30-hard-1k');
    expect(d('build-dataset arc', 'output-dir')).toBe('data/arc-aug-1000');
    expect(d('build-dataset arc', 'input-file-prefix')).toBe('kaggle/combined/arc-agi');
    expect(d('build-dataset arc', 'subsets')).toEqual(['training', 'evaluation', 'concept']);
    expect(d('build-dataset arc', 'num-aug')).toBe(1000);
    expect(d('build-dataset sudoku', 'num-aug')).toBe(0);
  });
});

describe('argument parsing', () => {
  const ev = commands.find((c) => c.name === 'eval')!;
  const arc = commands.find((c) => c.name === 'build-dataset arc')!;

  it('parses values, lists, negations and overrides', () => {
    const p = parseCommandArgs(ev, [
      '--checkpoint',
      'c.pt',
      '--dataset=data/x',
      '--eval-save-outputs',
      'inputs',
      'preds',
      'lr=1',
      '--no-apply-ema',
      '--global-batch-size',
      '64',
      '+run_name=x',
    ]);
    expect(p.flags).toMatchObject({
      checkpoint: 'c.pt',
      dataset: 'data/x',
      'eval-save-outputs': ['inputs', 'preds'],
      'apply-ema': false,
      'global-batch-size': 64,
      'one-batch': false,
    });
    expect(p.overrides).toEqual(['lr=1', '+run_name=x']);
    expect(
      parseCommandArgs(ev, ['--checkpoint', 'c', '--dataset', 'd', '--apply-ema']).flags[
        'apply-ema'
      ],
    ).toBe(true);
    expect(parseCommandArgs(ev, ['--checkpoint', 'c', '--dataset', 'd']).flags['apply-ema']).toBe(
      true,
    );
  });

  it('lists stop at the next flag', () => {
    const p = parseCommandArgs(arc, [
      '--subsets',
      'training2',
      'evaluation2',
      'concept',
      '--test-set-name',
      'evaluation2',
    ]);
    expect(p.flags.subsets).toEqual(['training2', 'evaluation2', 'concept']);
    expect(p.flags['test-set-name']).toBe('evaluation2');
  });

  it('accepts aliases (the reference --source-repo)', () => {
    const sudoku = commands.find((c) => c.name === 'build-dataset sudoku')!;
    expect(parseCommandArgs(sudoku, ['--source-repo', 'me/data']).flags.source).toBe('me/data');
  });

  const bad: [string[], RegExp][] = [
    [['--checkpoint', 'c'], /Missing required option --dataset DIR/],
    [
      ['--checkpoint', 'c', '--dataset', 'd', '--global-batch-size', 'big'],
      /--global-batch-size expects an integer, got 'big'/,
    ],
    [
      ['--checkpoint', 'c', '--dataset', 'd', '--one-bach'],
      /Unknown option '--one-bach'.*Did you mean '--one-batch'\?/,
    ],
    [['--checkpoint', 'c', '--dataset', 'd', 'stray'], /Unexpected argument 'stray'/],
    [['--checkpoint'], /--checkpoint expects a value/],
    [['--checkpoint', 'a', '--checkpoint', 'b', '--dataset', 'd'], /given more than once/],
    [['--checkpoint', 'c', '--dataset', 'd', '-x'], /Unknown option '-x'/],
  ];
  it.each(bad)('%j is a usage error', (argv, message) => {
    expect(() => parseCommandArgs(ev, argv)).toThrow(UsageError);
    expect(() => parseCommandArgs(ev, argv)).toThrow(message);
  });
});

describe('runCli', () => {
  it('--version prints the package version', async () => {
    const r = await trm(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect((await trm(['-V'])).stdout).toBe(r.stdout);
  });

  it('--help lists every command', async () => {
    const r = await trm(['--help']);
    expect(r.code).toBe(0);
    for (const c of commands) expect(r.stdout).toContain(c.name);
    expect(r.stdout).toContain('Exit codes');
  });

  it('no arguments prints help and exits 2', async () => {
    const r = await trm([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Usage: trm <command>');
  });

  it.each(commands.map((c) => c.name))('trm %s --help', async (name) => {
    const r = await trm([...name.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`Usage: trm ${name}`);
    for (const f of commands.find((c) => c.name === name)!.flags)
      expect(r.stdout).toContain(`--${f.negatable ? '[no-]' : ''}${f.name}`);
  });

  it('group help and help <command>', async () => {
    const g = await trm(['build-dataset', '--help']);
    expect(g.code).toBe(0);
    expect(g.stdout).toContain('build-dataset sudoku');
    expect((await trm(['help', 'generate', 'maze'])).stdout).toContain('Usage: trm generate maze');
  });

  it('an unknown command suggests the closest, exit 2', async () => {
    const r = await trm(['trian']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown command 'trian'. Did you mean 'trm train'?");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown or missing kind is a usage error', async () => {
    expect((await trm(['build-dataset', 'sodoku'])).stderr).toContain("Did you mean 'sudoku'?");
    const r = await trm(['generate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs a kind: sudoku, maze');
  });

  it('bad flags exit 2 with one paragraph and a help hint', async () => {
    const r = await trm(['generate', 'sudoku', '--size', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "trm generate sudoku: error: --size must be one of 4, 6, 9, got '5'.\nRun 'trm generate sudoku --help' for usage.\n",
    );
  });

  it('config errors exit 2', async () => {
    const r = await trm(['train', 'epochs=abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("epochs: expected an integer >= 1, got 'abc'");
    const r2 = await trm(['train', '--preset', 'none', 'arch.hiden_size=3']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain("Did you mean 'arch.hidden_size'?");
  });

  it('runtime failures exit 1; --debug adds the stack trace', async () => {
    const boom = () => {
      throw new Error('device lost');
    };
    const r = await trm(['presets'], { handlers: { presets: boom } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('trm presets: error: device lost');
    expect(r.stderr).toContain('--debug');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const d = await trm(['presets', '--debug'], { handlers: { presets: boom } });
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/\n\s+at /);
  });

  it('maps error classes to exit codes', () => {
    expect(exitCodeFor(new UsageError('x'))).toBe(2);
    expect(exitCodeFor(new ConfigError('x'))).toBe(2);
    expect(exitCodeFor(new InputError('x'))).toBe(2);
    expect(exitCodeFor(new SourceDataError('bad row', { file: 'a.csv', row: 3 }))).toBe(2);
    expect(exitCodeFor(new NpyError('bad header'))).toBe(2);
    expect(exitCodeFor(new CheckpointSecurityError('a.pt', 'os.system'))).toBe(2);
    expect(exitCodeFor(new CheckpointFormatError('a.pt', 'truncated'))).toBe(2);
    expect(exitCodeFor(new StateDictError('shapes', [], [], ['x']))).toBe(2);
    expect(exitCodeFor(new HubError('HTTP 500', { status: 500 }))).toBe(1);
    expect(exitCodeFor(new HubError('no answer'))).toBe(1);
    expect(exitCodeFor(new HubError('not found', { status: 404 }))).toBe(2);
    // A full disk is the machine's problem even when a dataset writer reports it.
    const full = Object.assign(new Error('no space left'), { code: 'ENOSPC' });
    expect(exitCodeFor(new DatasetError('disk full while writing a.npy', { cause: full }))).toBe(1);
    // Errors that crossed a worker boundary keep only their name.
    expect(exitCodeFor(Object.assign(new Error('x'), { name: 'CheckpointError' }))).toBe(2);
    expect(exitCodeFor(new RangeError('Invalid typed array length'))).toBe(1);
    expect(exitCodeFor(new Error('x'))).toBe(1);
  });

  it('presets lists the presets', async () => {
    const r = await trm(['presets']);
    expect(r.code).toBe(0);
    for (const n of [
      'arc1',
      'arc2',
      'sudoku-mlp',
      'sudoku-att',
      'maze',
      'maze-1gpu',
      'tiny-sudoku',
      'tiny-maze',
    ])
      expect(r.stdout).toContain(n);
  });
});

describe('train frame', () => {
  it('--print-config prints the resolved YAML (default preset tiny-sudoku)', async () => {
    const r = await trm(['train', '--print-config', 'arch.hidden_size=128']);
    expect(r.code).toBe(0);
    const cfg = parseYaml(r.stdout) as Record<string, unknown>;
    expect(cfg.data_paths).toEqual(['data/sudoku-4x4-tiny']);
    expect((cfg.arch as Record<string, unknown>).puzzle_emb_ndim).toBe(128);
    expect(r.stdout).toContain('# trm train --print-config (preset tiny-sudoku)');
  });

  it('--preset none gives the reference config', async () => {
    const r = await trm(['train', '--preset', 'none', '--print-config']);
    expect((parseYaml(r.stdout) as Record<string, unknown>).global_batch_size).toBe(768);
  });

  it('a missing dataset is an input error naming the build command', async () => {
    const cwd = tempDir();
    const r = await trm(['train', '--preset', 'sudoku-att'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('data_paths: dataset data/sudoku-extreme-1k-aug-1000 not found');
    expect(r.stderr).toContain(
      'trm build-dataset sudoku --output-dir data/sudoku-extreme-1k-aug-1000 --subsample-size 1000 --num-aug 1000',
    );
  });

  it('prepares the preset dataset, then calls the runner with the resolved config', async () => {
    const cwd = tempDir();
    let seen: TrainContext | undefined;
    const r = await trm(['train', 'epochs=100', 'eval_interval=10', '+run_name=t'], {
      cwd,
      handlers: {
        train: createTrainCommand((ctx) => {
          seen = ctx;
          return 0;
        }),
      },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Preparing');
    expect(existsSync(join(cwd, 'data', 'sudoku-4x4-tiny', 'train', 'dataset.json'))).toBe(true);
    expect(existsSync(join(cwd, 'data', 'sudoku-4x4-tiny', 'test', 'dataset.json'))).toBe(true);
    expect(readdirSync(join(cwd, 'data'))).toEqual(['sudoku-4x4-tiny']); // no scratch CSVs left
    expect(seen!.config.epochs).toBe(100);
    expect(seen!.config.run_name).toBe('t');
    expect(seen!.sources.preset).toBe('tiny-sudoku');
    expect(seen!.resume).toBeUndefined();
    expect(seen!.overrides).toEqual(['epochs=100', 'eval_interval=10', '+run_name=t']);
  });

  it('checks the data before training: missing, then unreadable metadata (exit 2)', async () => {
    const cwd = tempDir();
    const r = await trm(['train', '--no-prepare-data', '--preset', 'maze'], { cwd });
    expect(r.code).toBe(2); // data missing, and preparation is off
    mkdirSync(join(cwd, 'data', 'maze-30x30-hard-1k', 'train'), { recursive: true });
    writeFileSync(join(cwd, 'data', 'maze-30x30-hard-1k', 'train', 'dataset.json'), '{}');
    const r2 = await trm(['train', '--preset', 'maze'], { cwd });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('dataset.json');
    expect(r2.stderr).not.toMatch(/\n\s+at /);
  });

  it('--resume reads all_config.yaml from the run directory', async () => {
    const cwd = tempDir();
    const run = join(cwd, 'run');
    mkdirSync(run);
    const printed = await trm(['train', '--preset', 'maze', '--print-config', '+run_name=r1'], {
      cwd,
    });
    writeFileSync(join(run, 'all_config.yaml'), printed.stdout);
    const r = await trm(['train', '--resume', 'run', '--print-config', 'lr=1e-3'], { cwd });
    expect(r.code).toBe(0);
    const cfg = parseYaml(r.stdout) as Record<string, unknown>;
    expect(cfg.run_name).toBe('r1');
    expect(cfg.lr).toBe(1e-3);
    expect(cfg.global_batch_size).toBe(1536);
    expect((await trm(['train', '--resume', 'nope'], { cwd })).code).toBe(2);
  });
});

describe('eval frame', () => {
  it('checks the checkpoint and dataset before running', async () => {
    const cwd = tempDir();
    const r = await trm(['eval', '--checkpoint', 'missing.pt', '--dataset', 'data/x'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--checkpoint missing.pt not found');
    const r2 = await trm(
      [
        'eval',
        '--checkpoint',
        'alphaxiv/trm-model-maze/maze_hard_step_32550',
        '--dataset',
        'data/x',
      ],
      { cwd },
    );
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('--dataset ');
    expect(r2.stderr).toContain('data/x does not exist');
  });

  it('hands parsed options to the runner', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'ds', 'test'), { recursive: true });
    writeFileSync(join(cwd, 'ds', 'test', 'dataset.json'), '{}');
    writeFileSync(join(cwd, 'ckpt.pt'), '');
    let seen: EvalContext | undefined;
    const argv = [
      'eval',
      '--checkpoint',
      'ckpt.pt',
      '--dataset',
      'ds',
      '--no-apply-ema',
      '--one-batch',
      '--global-batch-size',
      '8',
      'arch.halt_max_steps=4',
    ];
    const r = await trm(argv, {
      cwd,
      handlers: {
        eval: createEvalCommand((ctx) => {
          seen = ctx;
          return 0;
        }),
      },
    });
    expect(r.code).toBe(0);
    expect(seen!.options).toEqual({
      checkpoint: join(cwd, 'ckpt.pt'),
      checkpointIsHub: false,
      dataset: join(cwd, 'ds'),
      outdir: join(cwd, 'eval_ckpt'),
      overwrite: false,
      evalSaveOutputs: ['inputs', 'labels', 'puzzle_identifiers', 'preds'],
      globalBatchSize: 8,
      applyEma: false,
      emaShadow: undefined,
      oneBatch: true,
      actInference: false,
      perStep: false,
      puzzleIds: 'real',
      json: false,
      configDir: undefined,
      preset: undefined,
      overrides: ['arch.halt_max_steps=4'],
    });
    expect(seen!.resolveConfig().config.arch.halt_max_steps).toBe(4);
    // The real runner checks the dataset's metadata first: an input error, exit 2.
    const real = await trm(argv, { cwd });
    expect(real.code).toBe(2);
    expect(real.stderr).toContain('dataset.json');
  });

  it('accepts a hub checkpoint id', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'ds', 'test'), { recursive: true });
    writeFileSync(join(cwd, 'ds', 'test', 'dataset.json'), '{}');
    let seen: EvalContext | undefined;
    await trm(
      ['eval', '--checkpoint', 'alphaxiv/trm-model-maze/maze_hard_step_32550', '--dataset', 'ds'],
      {
        cwd,
        handlers: {
          eval: createEvalCommand((ctx) => {
            seen = ctx;
            return 0;
          }),
        },
      },
    );
    expect(seen!.options.checkpointIsHub).toBe(true);
    expect(seen!.options.checkpoint).toBe('alphaxiv/trm-model-maze/maze_hard_step_32550');
    expect(seen!.options.applyEma).toBe(true);
  });
});
