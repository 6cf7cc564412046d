/**
 * Bad configuration and command lines: unknown and mistyped keys, impossible architectures,
 * broken YAML, bad flags and flag values, and runs that cannot be resumed. None may create
 * anything — not the run directory, not the preset's generated dataset.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import type { Fixtures } from '../lib/fixtures.js';
import type { CaseDir, FuzzCase, Run } from '../lib/harness.js';
import { evalArgs, trainArgs } from './util.js';

type Make = (f: Fixtures, ws: CaseDir) => { argv: string[]; names: (string | RegExp)[] };

const configs: [string, Make][] = [
  ['unknown-key', (f) => ({ argv: trainArgs(f.dataset, 'lrr=1e-4'), names: ['lrr'] })],
  [
    'unknown-arch-key',
    (f) => ({ argv: trainArgs(f.dataset, 'arch.hiden_size=8'), names: ['arch.hiden_size'] }),
  ],
  ['lr-string', (f) => ({ argv: trainArgs(f.dataset, 'lr=fast'), names: ['lr'] })],
  ['lr-negative', (f) => ({ argv: trainArgs(f.dataset, 'lr=-1'), names: ['lr'] })],
  ['lr-nan', (f) => ({ argv: trainArgs(f.dataset, 'lr=nan'), names: ['lr'] })],
  [
    'expansion-zero',
    (f) => ({ argv: trainArgs(f.dataset, 'arch.expansion=0'), names: ['arch.expansion'] }),
  ],
  [
    'expansion-negative',
    (f) => ({ argv: trainArgs(f.dataset, 'arch.expansion=-2'), names: ['arch.expansion'] }),
  ],
  [
    'hidden-not-divisible',
    (f) => ({
      argv: trainArgs(f.dataset, 'arch.hidden_size=18', 'arch.num_heads=4'),
      names: [/arch\.(hidden_size|num_heads)/],
    }),
  ],
  [
    'heads-zero',
    (f) => ({ argv: trainArgs(f.dataset, 'arch.num_heads=0'), names: ['arch.num_heads'] }),
  ],
  [
    'hidden-huge',
    (f) => ({
      argv: trainArgs(f.dataset, 'arch.hidden_size=1000000000'),
      names: ['arch.hidden_size'],
    }),
  ],
  [
    'layers-zero',
    (f) => ({ argv: trainArgs(f.dataset, 'arch.L_layers=0'), names: ['arch.L_layers'] }),
  ],
  [
    'cycles-float',
    (f) => ({ argv: trainArgs(f.dataset, 'arch.H_cycles=1.5'), names: ['arch.H_cycles'] }),
  ],
  [
    'halt-max-zero',
    (f) => ({
      argv: trainArgs(f.dataset, 'arch.halt_max_steps=0'),
      names: ['arch.halt_max_steps'],
    }),
  ],
  [
    'batch-zero',
    (f) => ({ argv: trainArgs(f.dataset, 'global_batch_size=0'), names: ['global_batch_size'] }),
  ],
  [
    'batch-huge',
    (f) => ({
      argv: trainArgs(f.dataset, 'global_batch_size=100000000'),
      names: ['global_batch_size'],
    }),
  ],
  ['epochs-zero', (f) => ({ argv: trainArgs(f.dataset, 'epochs=0'), names: ['epochs'] })],
  [
    'eval-interval-zero',
    (f) => ({ argv: trainArgs(f.dataset, 'eval_interval=0'), names: ['eval_interval'] }),
  ],
  [
    'pos-encodings-unknown',
    (f) => ({
      argv: trainArgs(f.dataset, 'arch.pos_encodings=sinusoid'),
      names: ['arch.pos_encodings'],
    }),
  ],
  [
    'loss-unknown',
    (f) => ({ argv: trainArgs(f.dataset, 'arch.loss.loss_type=hinge'), names: ['loss_type'] }),
  ],
  [
    'keep-best-negative',
    (f) => ({
      argv: trainArgs(f.dataset, 'checkpoint_keep_best=-1'),
      names: ['checkpoint_keep_best'],
    }),
  ],
  [
    'keep-best-float',
    (f) => ({
      argv: trainArgs(f.dataset, 'checkpoint_keep_best=1.5'),
      names: ['checkpoint_keep_best'],
    }),
  ],
  [
    'metric-mode-unknown',
    (f) => ({
      argv: trainArgs(f.dataset, 'checkpoint_keep_best=1', 'checkpoint_metric_mode=highest'),
      names: ['checkpoint_metric_mode'],
    }),
  ],
  [
    'metric-malformed',
    (f) => ({
      argv: trainArgs(f.dataset, 'checkpoint_keep_best=1', 'checkpoint_metric=accuracy'),
      names: ['checkpoint_metric'],
    }),
  ],
  [
    'metric-unknown',
    (f) => ({
      argv: trainArgs(
        f.dataset,
        'evaluators=[]',
        'early_stop_patience=2',
        'checkpoint_metric=all/bogus',
      ),
      names: ['checkpoint_metric'],
    }),
  ],
  [
    'patience-negative',
    (f) => ({
      argv: trainArgs(f.dataset, 'early_stop_patience=-1'),
      names: ['early_stop_patience'],
    }),
  ],
  ['arch-group-unknown', (f) => ({ argv: trainArgs(f.dataset, 'arch=gpt'), names: ['gpt'] })],
  [
    'preset-unknown',
    (f) => ({ argv: [...trainArgs(f.dataset), '--preset', 'sudoku-huge'], names: ['sudoku-huge'] }),
  ],
  ['override-syntax', (f) => ({ argv: trainArgs(f.dataset, 'lr==='), names: ['lr'] })],
  [
    'list-syntax',
    () => ({ argv: ['train', 'data_paths=[a,b', 'checkpoint_path=run'], names: ['data_paths'] }),
  ],
  [
    'interpolation-missing',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an interpolation the config resolves.
    (f) => ({ argv: trainArgs(f.dataset, 'run_name=${nothing.here}'), names: ['nothing.here'] }),
  ],
  ['data-path-missing', () => ({ argv: trainArgs('no-such-data'), names: ['no-such-data'] })],
  [
    'data-path-test-missing',
    (f) => ({ argv: trainArgs(f.dataset, 'data_paths_test=[nope]'), names: ['nope'] }),
  ],
  [
    'data-path-is-file',
    (f) => ({ argv: trainArgs(`${f.sudokuCsv}/train.csv`), names: ['train.csv'] }),
  ],
  [
    'load-checkpoint-missing',
    (f) => ({
      argv: trainArgs(f.dataset, 'load_checkpoint=missing.safetensors'),
      names: ['missing.safetensors'],
    }),
  ],
  [
    'save-outputs-unknown',
    (f) => ({
      argv: evalArgs(f, f.dataset, f.checkpoint, '--eval-save-outputs', 'preds', 'secrets'),
      names: ['secrets'],
    }),
  ],
  [
    'eval-halt-max-zero',
    (f) => ({
      argv: evalArgs(f, f.dataset, f.checkpoint, 'arch.halt_max_steps=0'),
      names: ['arch.halt_max_steps'],
    }),
  ],
  [
    'eval-halt-max-float',
    (f) => ({
      argv: evalArgs(f, f.dataset, f.checkpoint, '--per-step', 'arch.halt_max_steps=2.5'),
      names: ['arch.halt_max_steps'],
    }),
  ],
  [
    'eval-halt-max-word',
    (f) => ({
      argv: evalArgs(f, f.dataset, f.checkpoint, '--act-inference', 'arch.halt_max_steps=deep'),
      names: ['arch.halt_max_steps'],
    }),
  ],
  [
    'eval-no-act-continue-word',
    (f) => ({
      argv: evalArgs(f, f.dataset, f.checkpoint, '--act-inference', 'arch.no_ACT_continue=maybe'),
      names: ['arch.no_ACT_continue'],
    }),
  ],
  [
    'config-dir-missing',
    (f) => ({ argv: [...trainArgs(f.dataset), '--config-dir', 'nope'], names: ['nope'] }),
  ],
  [
    'config-yaml-broken',
    (f, ws) => {
      mkdirSync(ws.path('cfg'));
      writeFileSync(ws.path('cfg/cfg_pretrain.yaml'), 'lr: [1, 2\n  bad: : :\n');
      return {
        argv: [...trainArgs(f.dataset), '--config-dir', 'cfg'],
        names: ['cfg_pretrain.yaml'],
      };
    },
  ],
  [
    'config-yaml-not-mapping',
    (f, ws) => {
      mkdirSync(ws.path('cfg'));
      writeFileSync(ws.path('cfg/cfg_pretrain.yaml'), '- 1\n- 2\n');
      return {
        argv: [...trainArgs(f.dataset), '--config-dir', 'cfg'],
        names: ['cfg_pretrain.yaml'],
      };
    },
  ],
  [
    'config-yaml-binary',
    (f, ws) => {
      mkdirSync(ws.path('cfg'));
      writeFileSync(ws.path('cfg/cfg_pretrain.yaml'), Buffer.from([0, 1, 2, 0xff, 0xfe, 0x7b]));
      return {
        argv: [...trainArgs(f.dataset), '--config-dir', 'cfg'],
        names: ['cfg_pretrain.yaml'],
      };
    },
  ],
  [
    'resume-not-a-run',
    (_f, ws) => {
      mkdirSync(ws.path('empty-dir'));
      return { argv: ['train', '--resume', 'empty-dir'], names: ['empty-dir'] };
    },
  ],
  [
    'resume-missing',
    () => ({ argv: ['train', '--resume', 'no-run-here'], names: ['no-run-here'] }),
  ],
  [
    'resume-no-checkpoint',
    (f, ws) => {
      mkdirSync(ws.path('r'));
      writeFileSync(ws.path('r/all_config.yaml'), `data_paths: [${f.dataset}]\n`);
      return { argv: ['train', '--resume', 'r'], names: ['r'] };
    },
  ],
  [
    'resume-config-broken',
    (_f, ws) => {
      mkdirSync(ws.path('r'));
      writeFileSync(ws.path('r/all_config.yaml'), 'lr: [\n');
      return { argv: ['train', '--resume', 'r'], names: ['all_config.yaml'] };
    },
  ],
  [
    'eval-all-config-broken',
    (f, ws) => {
      mkdirSync(ws.path('ck'));
      copyFileSync(f.checkpoint, ws.path('ck/step_1.safetensors'));
      writeFileSync(ws.path('ck/all_config.yaml'), 'arch: {hidden_size: [\n');
      return {
        argv: evalArgs(f, f.dataset, ws.path('ck/step_1.safetensors')),
        names: ['all_config.yaml'],
      };
    },
  ],
];

const flags: [string, Make][] = [
  ['unknown-command', () => ({ argv: ['trian'], names: ['trian'] })],
  [
    'unknown-flag',
    (f) => ({ argv: [...evalArgs(f, f.dataset), '--checkpont', 'x'], names: ['--checkpont'] }),
  ],
  [
    'missing-required',
    (f) => ({ argv: ['eval', '--dataset', f.dataset], names: ['--checkpoint'] }),
  ],
  [
    'flag-without-value',
    (f) => ({ argv: ['eval', '--dataset', f.dataset, '--checkpoint'], names: ['--checkpoint'] }),
  ],
  [
    'devices-zero',
    (f) => ({ argv: [...trainArgs(f.dataset), '--devices', '0'], names: ['--devices'] }),
  ],
  [
    'devices-word',
    (f) => ({ argv: [...trainArgs(f.dataset), '--devices', 'many'], names: ['--devices'] }),
  ],
  [
    'devices-uneven',
    (f) => ({ argv: [...trainArgs(f.dataset), '--devices', '3'], names: [/global.batch.size/] }),
  ],
  [
    'batch-flag-zero',
    (f) => ({
      argv: evalArgs(f, f.dataset, f.checkpoint, '--global-batch-size', '0'),
      names: ['--global-batch-size'],
    }),
  ],
  [
    'batch-flag-word',
    (f) => ({
      argv: evalArgs(f, f.dataset, f.checkpoint, '--global-batch-size', 'ten'),
      names: ['--global-batch-size'],
    }),
  ],
  [
    'generate-size-7',
    () => ({
      argv: ['generate', 'sudoku', '--size', '7', '--count', '3', '--output', 'x.csv'],
      names: ['--size'],
    }),
  ],
  [
    'generate-count-negative',
    () => ({
      argv: ['generate', 'sudoku', '--count', '-3', '--output', 'x.csv'],
      names: ['--count'],
    }),
  ],
  [
    'generate-count-huge',
    () => ({
      argv: ['generate', 'sudoku', '--count', '1e12', '--output', 'x.csv'],
      names: ['--count'],
    }),
  ],
  [
    'generate-seed-word',
    () => ({ argv: ['generate', 'maze', '--seed', 'abc', '--output', 'x.csv'], names: ['--seed'] }),
  ],
  [
    'generate-maze-size-3',
    () => ({ argv: ['generate', 'maze', '--size', '3', '--output', 'x.csv'], names: ['--size'] }),
  ],
  [
    'generate-kind-unknown',
    () => ({ argv: ['generate', 'kakuro', '--output', 'x.csv'], names: ['kakuro'] }),
  ],
  [
    'build-num-aug-negative',
    (f) => ({
      argv: [
        'build-dataset',
        'sudoku',
        '--source',
        f.sudokuCsv,
        '--output-dir',
        'o',
        '--num-aug',
        '-1',
      ],
      names: ['--num-aug'],
    }),
  ],
  [
    'build-subsample-zero',
    (f) => ({
      argv: [
        'build-dataset',
        'sudoku',
        '--source',
        f.sudokuCsv,
        '--output-dir',
        'o',
        '--subsample-size',
        '0',
      ],
      names: ['--subsample-size'],
    }),
  ],
  ['show-count-zero', (f) => ({ argv: ['show', f.dataset, '--count', '0'], names: ['--count'] })],
  ['show-missing-path', () => ({ argv: ['show', 'nowhere'], names: ['nowhere'] })],
  [
    'show-split-unknown',
    (f) => ({ argv: ['show', f.dataset, '--split', 'validation'], names: ['validation'] }),
  ],
  ['eval-dataset-missing', (f) => ({ argv: evalArgs(f, 'no-data'), names: ['no-data'] })],
  [
    'eval-puzzle-ids-unknown',
    (f) => ({
      argv: evalArgs(f, f.dataset, f.checkpoint, '--puzzle-ids', 'none'),
      names: ['--puzzle-ids', 'real, blank, random, shuffled'],
    }),
  ],
  [
    'eval-puzzle-ids-case',
    (f) => ({
      argv: evalArgs(f, f.dataset, f.checkpoint, '--puzzle-ids', 'Blank'),
      names: ['--puzzle-ids', /Did you mean 'blank'/],
    }),
  ],
  [
    'eval-puzzle-ids-without-value',
    (f) => ({
      argv: evalArgs(f, f.dataset, f.checkpoint, '--per-step', '--puzzle-ids'),
      names: ['--puzzle-ids'],
    }),
  ],
  [
    'eval-puzzle-ids-twice',
    (f) => ({
      argv: evalArgs(f, f.dataset, f.checkpoint, '--puzzle-ids', 'blank', '--puzzle-ids=random'),
      names: ['--puzzle-ids'],
    }),
  ],
  [
    'eval-act-inference-value',
    (f) => ({
      argv: evalArgs(f, f.dataset, f.checkpoint, '--act-inference=maybe'),
      names: ['--act-inference'],
    }),
  ],
  [
    'eval-per-step-value',
    (f) => ({
      argv: evalArgs(f, f.dataset, f.checkpoint, '--per-step=3'),
      names: ['--per-step'],
    }),
  ],
  [
    'eval-per-step-negated-value',
    (f) => ({
      argv: evalArgs(f, f.dataset, f.checkpoint, '--no-per-step=1'),
      names: ['--no-per-step'],
    }),
  ],
  [
    'eval-ema-shadow-missing',
    (f) => ({
      argv: evalArgs(f, f.dataset, f.checkpoint, '--ema-shadow', 'shadow.safetensors'),
      names: ['shadow.safetensors'],
    }),
  ],
];

export function configFlagCases(f: Fixtures): FuzzCase[] {
  const mk = (klass: 'config' | 'flags', [id, make]: [string, Make]): FuzzCase => ({
    id: `${klass}/${id}`,
    klass,
    arrange(ws: CaseDir): Run {
      const { argv, names } = make(f, ws);
      return { argv, code: 2, names };
    },
  });
  return [...configs.map((c) => mk('config', c)), ...flags.map((c) => mk('flags', c))];
}
