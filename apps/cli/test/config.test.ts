// biome-ignore-all lint/suspicious/noTemplateCurlyInString: OmegaConf ${...} interpolations are the subject of these tests
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigError, InputError } from '../src/errors.js';
import {
  CONFIG_SCHEMA,
  listPresets,
  loadTrainConfigFile,
  resolveTrainConfig,
  shippedConfigDir,
  type TrainConfig,
  toYaml,
} from '../src/index.js';
import { errorOf, tempDir } from './helpers.js';

describe('reference defaults (spec §1)', () => {
  const { config, sources } = resolveTrainConfig();

  it('composes cfg_pretrain.yaml with arch/trm.yaml', () => {
    expect(sources.groups).toEqual({ arch: 'trm' });
    expect(sources.preset).toBeUndefined();
    expect(sources.files.map((f) => f.slice(shippedConfigDir().length + 1))).toEqual([
      'cfg_pretrain.yaml',
      'arch/trm.yaml',
    ]);
  });

  it('has every training key with the reference default', () => {
    const expected: Omit<TrainConfig, 'arch'> = {
      data_paths: ['data/arc-aug-1000'],
      data_paths_test: [],
      evaluators: [{ name: 'arc@ARC' }],
      global_batch_size: 768,
      epochs: 100000,
      eval_interval: 10000,
      min_eval_interval: 0,
      checkpoint_every_eval: true,
      checkpoint_keep_best: 0,
      checkpoint_metric: null,
      checkpoint_metric_mode: 'max',
      early_stop_patience: 0,
      lr: 1e-4,
      lr_min_ratio: 1.0,
      lr_warmup_steps: 2000,
      beta1: 0.9,
      beta2: 0.95,
      weight_decay: 0.1,
      puzzle_emb_lr: 1e-2,
      puzzle_emb_weight_decay: 0.1,
      seed: 0,
      ema: false,
      ema_rate: 0.999,
      freeze_weights: false,
      load_checkpoint: null,
      checkpoint_path: null,
      project_name: null,
      run_name: null,
      eval_save_outputs: [],
      logger: null,
    };
    const { arch, ...rest } = config;
    expect(rest).toEqual(expected);
  });

  it('has every arch key with the reference default and the interpolated puzzle_emb_ndim', () => {
    expect(config.arch).toEqual({
      name: 'recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1',
      loss: { name: 'losses@ACTLossHead', loss_type: 'stablemax_cross_entropy' },
      halt_exploration_prob: 0.1,
      halt_max_steps: 16,
      H_cycles: 3,
      L_cycles: 6,
      H_layers: 0,
      L_layers: 2,
      hidden_size: 512,
      num_heads: 8,
      expansion: 4,
      puzzle_emb_ndim: 512,
      pos_encodings: 'rope',
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      forward_dtype: 'bfloat16',
      mlp_t: false,
      puzzle_emb_len: 16,
      no_ACT_continue: true,
    });
  });

  it('the schema defaults agree with the shipped YAML', () => {
    for (const spec of CONFIG_SCHEMA) {
      if (spec.type === 'mapping') continue;
      const value = spec.key
        .split('.')
        .reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], config);
      const expected = spec.default === '${.hidden_size}' ? config.arch.hidden_size : spec.default;
      expect(value, spec.key).toEqual(expected);
    }
  });

  it('records where every value came from', () => {
    expect(sources.origins.lr).toBe('config/cfg_pretrain.yaml');
    expect(sources.origins['arch.hidden_size']).toBe('config/arch/trm.yaml');
    expect(sources.origins.run_name).toBe('default');
  });
});

describe('overrides', () => {
  it('sets top-level and nested keys, with YAML value types', () => {
    const { config, sources } = resolveTrainConfig([
      'lr=2e-4',
      'arch.L_layers=3',
      'ema=True',
      'arch.loss.loss_type=softmax_cross_entropy',
    ]);
    expect(config.lr).toBe(2e-4);
    expect(config.arch.L_layers).toBe(3);
    expect(config.ema).toBe(true);
    expect(config.arch.loss.loss_type).toBe('softmax_cross_entropy');
    expect(sources.origins['arch.L_layers']).toBe('override arch.L_layers=3');
  });

  it('sets lists and lists of mappings', () => {
    const { config } = resolveTrainConfig([
      'data_paths=[data/a,data/b]',
      'evaluators=[{name: arc, submission_K: 2}]',
      'data_paths_test=[data/c]',
    ]);
    expect(config.data_paths).toEqual(['data/a', 'data/b']);
    expect(config.data_paths_test).toEqual(['data/c']);
    expect(config.evaluators).toEqual([{ name: 'arc', submission_K: 2 }]);
    expect(resolveTrainConfig(['evaluators=[]']).config.evaluators).toEqual([]);
  });

  it('applies overrides in order (the last wins)', () => {
    expect(resolveTrainConfig(['seed=1', 'seed=7']).config.seed).toBe(7);
  });

  it('+key adds a key the YAML leaves unset, as the README does with +run_name', () => {
    const { config, sources } = resolveTrainConfig(['+run_name=pretrain_att_sudoku']);
    expect(config.run_name).toBe('pretrain_att_sudoku');
    expect(sources.added).toEqual([]);
  });

  it('keys the reference leaves unset may also be set without +', () => {
    expect(resolveTrainConfig(['run_name=r1']).config.run_name).toBe('r1');
    expect(resolveTrainConfig(['load_checkpoint=ckpt/step_10']).config.load_checkpoint).toBe(
      'ckpt/step_10',
    );
  });

  it('+key adds unknown keys, which are passed through', () => {
    const { config, sources } = resolveTrainConfig([
      '+arch.dropout=0.1',
      '+notes=hello',
      '+arch.extra.deep=1',
    ]);
    expect(config.arch.dropout).toBe(0.1);
    expect((config as unknown as Record<string, unknown>).notes).toBe('hello');
    expect(config.arch.extra).toEqual({ deep: 1 });
    expect(sources.added.sort()).toEqual(['arch.dropout', 'arch.extra.deep', 'notes']);
  });

  it('+ on an existing key is an error that says how to override', () => {
    const e = errorOf(() => resolveTrainConfig(['+lr=3e-4']));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(/Could not add 'lr': the config already has it/);
    expect(e.message).toContain('lr=3e-4');
    expect(e.message).toContain('++lr=3e-4');
    expect(errorOf(() => resolveTrainConfig(['+run_name=a', '+run_name=b'])).message).toMatch(
      /already has it/,
    );
  });

  it('++ adds or overrides', () => {
    expect(resolveTrainConfig(['++lr=3e-4']).config.lr).toBe(3e-4);
    expect(resolveTrainConfig(['++arch.new_key=1']).config.arch.new_key).toBe(1);
  });

  it('a new key without + is an error that suggests +key', () => {
    const e = errorOf(() => resolveTrainConfig(['my_key=1']));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(/Could not override 'my_key': the key is not in the config/);
    expect(e.message).toContain('+my_key=1');
  });

  it('suggests the closest known key on a typo', () => {
    expect(errorOf(() => resolveTrainConfig(['arch.hiden_size=128'])).message).toContain(
      "Did you mean 'arch.hidden_size'?",
    );
    expect(errorOf(() => resolveTrainConfig(['global_batchsize=64'])).message).toContain(
      "Did you mean 'global_batch_size'?",
    );
    expect(errorOf(() => resolveTrainConfig(['lr_warmup=10'])).message).toContain(
      "Did you mean 'lr_warmup_steps'?",
    );
    expect(errorOf(() => resolveTrainConfig(['arch.l_layers=1'])).message).toContain(
      "Did you mean 'arch.L_layers'?",
    );
    expect(errorOf(() => resolveTrainConfig(['hidden_size=1'])).message).toContain(
      "Did you mean 'arch.hidden_size'?",
    );
    expect((errorOf(() => resolveTrainConfig(['epoch=1'])) as ConfigError).key).toBe('epoch');
  });

  it('a key below a value is an error', () => {
    expect(errorOf(() => resolveTrainConfig(['lr.x=1'])).message).toMatch(
      /'lr' holds a value, not a mapping/,
    );
  });
});

describe('type validation', () => {
  const cases: [string, RegExp][] = [
    [
      'epochs=abc',
      /^epochs: expected an integer >= 1, got 'abc' \(a string\) \(from override epochs=abc\)\.$/,
    ],
    ['global_batch_size=1.5', /global_batch_size: expected an integer/],
    ['lr=fast', /lr: expected a number/],
    ['ema=yes', /ema: expected a boolean \(true or false\)/],
    ['arch.mlp_t=1', /arch.mlp_t: expected a boolean/],
    ['arch.pos_encodings=rotary', /arch.pos_encodings: expected one of rope, learned, none/],
    ['arch.forward_dtype=bf16', /expected one of bfloat16, float16, float32/],
    ['data_paths={a: 1}', /data_paths: expected a list of strings/],
    ['evaluators=[{foo: 1}]', /evaluators: expected a list of evaluators/],
    ['epochs=null', /epochs: expected an integer >= 1, got null/],
    ['lr=-1', /lr: must be at least 0, got -1/],
    ['arch=[1]', /arch is a config group/],
  ];
  it.each(cases)('%s', (override, message) => {
    const e = errorOf(() => resolveTrainConfig([override]));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(message);
  });

  it('suggests the closest enum value', () => {
    expect(errorOf(() => resolveTrainConfig(['arch.pos_encodings=rop'])).message).toContain(
      "Did you mean 'rope'?",
    );
  });

  it('coerces friendly forms', () => {
    const { config } = resolveTrainConfig([
      'epochs=1e5',
      'data_paths=data/one',
      'evaluators=[arc]',
      'run_name=123',
      'eval_interval=null',
    ]);
    expect(config.epochs).toBe(100000);
    expect(config.data_paths).toEqual(['data/one']);
    expect(config.evaluators).toEqual([{ name: 'arc' }]);
    expect(config.run_name).toBe('123');
    expect(config.eval_interval).toBeNull();
  });

  it('checks cross-key rules', () => {
    expect(errorOf(() => resolveTrainConfig(['epochs=7'])).message).toMatch(
      /eval_interval \(10000\) must divide epochs \(7\)/,
    );
    expect(errorOf(() => resolveTrainConfig(['arch.num_heads=7'])).message).toMatch(
      /must be a multiple of arch.num_heads/,
    );
  });
});

describe('interpolation', () => {
  it('relative ${.hidden_size} follows overrides of the referenced key', () => {
    const { config } = resolveTrainConfig(['arch.hidden_size=256', 'arch.num_heads=4']);
    expect(config.arch.puzzle_emb_ndim).toBe(256);
  });

  it('absolute references, embedded text and environment variables', () => {
    const { config } = resolveTrainConfig(
      [
        'arch.puzzle_emb_len=${arch.L_layers}',
        '+run_name=run_h${arch.hidden_size}_${oc.env:USER_TAG,none}',
        'project_name=${oc.env:PROJ}',
      ],
      { env: { PROJ: 'Sudoku-ACT-torch' } },
    );
    expect(config.arch.puzzle_emb_len).toBe(2);
    expect(config.run_name).toBe('run_h512_none');
    expect(config.project_name).toBe('Sudoku-ACT-torch');
  });

  it('keeps the referenced type for a whole-value reference', () => {
    expect(resolveTrainConfig(['data_paths_test=${data_paths}']).config.data_paths_test).toEqual([
      'data/arc-aug-1000',
    ]);
  });

  it('reports missing targets, cycles and unset variables', () => {
    expect(errorOf(() => resolveTrainConfig(['arch.puzzle_emb_len=${arch.nope}'])).message).toMatch(
      /refers to 'arch.nope', which is not in the config/,
    );
    expect(errorOf(() => resolveTrainConfig(['+a=${b}', '+b=${a}'])).message).toMatch(
      /interpolation cycle/,
    );
    expect(
      errorOf(() => resolveTrainConfig(['project_name=${oc.env:NOT_SET_X}'], { env: {} })).message,
    ).toMatch(/NOT_SET_X/);
  });
});

describe('group selection', () => {
  it('arch=trm selects arch/trm.yaml explicitly', () => {
    expect(resolveTrainConfig(['arch=trm']).sources.groups.arch).toBe('trm');
  });

  it('an unknown group option lists the available ones', () => {
    const e = errorOf(() => resolveTrainConfig(['arch=trn']));
    expect(e.message).toMatch(/No arch config named 'trn'.*Did you mean 'trm'\?.*Available: trm/);
  });

  it('selects a user arch file from --config-dir', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'arch'));
    const trm = readFileSync(join(shippedConfigDir(), 'arch', 'trm.yaml'), 'utf8');
    writeFileSync(
      join(dir, 'arch', 'small.yaml'),
      trm.replace('hidden_size: 512', 'hidden_size: 128').replace('num_heads: 8', 'num_heads: 2'),
    );
    const { config, sources } = resolveTrainConfig(['arch=small'], { configDir: dir });
    expect(config.arch.hidden_size).toBe(128);
    expect(config.arch.puzzle_emb_ndim).toBe(128);
    expect(sources.groups.arch).toBe('small');
    expect(sources.origins['arch.hidden_size']).toBe(join(dir, 'arch', 'small.yaml'));
  });
});

describe('--config-dir', () => {
  it('user files shadow shipped ones', () => {
    const dir = tempDir();
    const shipped = readFileSync(join(shippedConfigDir(), 'cfg_pretrain.yaml'), 'utf8');
    writeFileSync(
      join(dir, 'cfg_pretrain.yaml'),
      shipped.replace('global_batch_size: 768', 'global_batch_size: 32'),
    );
    const { config, sources } = resolveTrainConfig([], { configDir: dir });
    expect(config.global_batch_size).toBe(32);
    expect(config.arch.hidden_size).toBe(512); // arch still from the shipped files
    expect(sources.files[0]).toBe(join(dir, 'cfg_pretrain.yaml'));
    expect(sources.searchPath).toEqual([dir, shippedConfigDir()]);
  });

  it('an unknown key in a user file names the file and suggests a key', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'cfg_pretrain.yaml'),
      'defaults:\n  - arch: trm\n  - _self_\nglobal_batch_sise: 32\n',
    );
    const e = errorOf(() => resolveTrainConfig([], { configDir: dir }));
    expect(e.message).toContain(
      `Unknown config key 'global_batch_sise' (from ${join(dir, 'cfg_pretrain.yaml')})`,
    );
    expect(e.message).toContain("Did you mean 'global_batch_size'?");
  });

  it('a user file missing keys is reported', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'cfg_pretrain.yaml'), 'defaults:\n  - arch: trm\n');
    expect(errorOf(() => resolveTrainConfig([], { configDir: dir })).message).toMatch(
      /The config has no value for 'data_paths'/,
    );
  });

  it('ignores a copied hydra: block', () => {
    const dir = tempDir();
    const shipped = readFileSync(join(shippedConfigDir(), 'cfg_pretrain.yaml'), 'utf8');
    writeFileSync(join(dir, 'cfg_pretrain.yaml'), `${shipped}\nhydra:\n  output_subdir: null\n`);
    expect(resolveTrainConfig([], { configDir: dir }).config.epochs).toBe(100000);
  });

  it('a missing directory or invalid YAML is an input/config error', () => {
    expect(errorOf(() => resolveTrainConfig([], { configDir: '/nonexistent/dir' }))).toBeInstanceOf(
      InputError,
    );
    const dir = tempDir();
    writeFileSync(join(dir, 'cfg_pretrain.yaml'), 'lr: [1, 2\n');
    expect(errorOf(() => resolveTrainConfig([], { configDir: dir })).message).toMatch(
      /invalid YAML/,
    );
  });

  it('user presets are found and shadow shipped ones', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'presets'));
    writeFileSync(
      join(dir, 'presets', 'mine.yaml'),
      '_description_: mine\nlr: 5e-4\narch:\n  L_cycles: 2\n',
    );
    writeFileSync(
      join(dir, 'presets', 'maze.yaml'),
      '_description_: my maze\nepochs: 10\neval_interval: 5\n',
    );
    expect(resolveTrainConfig([], { configDir: dir, preset: 'mine' }).config.arch.L_cycles).toBe(2);
    expect(resolveTrainConfig([], { configDir: dir, preset: 'maze' }).config.epochs).toBe(10);
    expect(listPresets([dir, shippedConfigDir()]).find((p) => p.name === 'maze')!.description).toBe(
      'my maze',
    );
  });
});

/**
 * The README's training commands, as override lists (everything after scripts/train.py,
 * without the +run_name label). Each preset must resolve to exactly the same config.
 */
/** The README's two ARC runs differ only in their dataset. */
function arcRun(data: string): string[] {
  return [
    'arch=trm',
    `data_paths=[${data}]`,
    'arch.L_layers=2',
    'arch.H_cycles=3',
    'arch.L_cycles=6',
    'lr=2e-4',
    'weight_decay=0.1',
    'puzzle_emb_lr=1e-2',
    'global_batch_size=1536',
    'lr_warmup_steps=4000',
    'epochs=100000',
    'eval_interval=5000',
    'checkpoint_every_eval=True',
    'ema=True',
  ];
}

/** The README's Maze runs (eight GPUs, or one) differ only in the global batch. */
function mazeRun(globalBatchSize: number): string[] {
  return [
    'arch=trm',
    'data_paths=[data/maze-30x30-hard-1k]',
    'evaluators=[]',
    'epochs=50000',
    'eval_interval=5000',
    'lr=2e-4',
    'puzzle_emb_lr=1e-4',
    'weight_decay=1.0',
    'puzzle_emb_weight_decay=1.0',
    'arch.L_layers=2',
    'arch.H_cycles=3',
    'arch.L_cycles=4',
    `global_batch_size=${globalBatchSize}`,
    'lr_warmup_steps=4000',
    'checkpoint_every_eval=True',
    'ema=True',
  ];
}

const README_RUNS: Record<string, string[]> = {
  arc1: arcRun('data/arc1concept-aug-1000'),
  arc2: arcRun('data/arc2concept-aug-1000'),
  'sudoku-mlp': [
    'arch=trm',
    'data_paths=[data/sudoku-extreme-1k-aug-1000]',
    'evaluators=[]',
    'epochs=50000',
    'eval_interval=5000',
    'lr=2e-4',
    'puzzle_emb_lr=1e-4',
    'weight_decay=1.0',
    'puzzle_emb_weight_decay=1.0',
    'arch.mlp_t=True',
    'arch.pos_encodings=none',
    'arch.L_layers=2',
    'arch.H_cycles=3',
    'arch.L_cycles=6',
    'lr_warmup_steps=4000',
    'global_batch_size=1536',
    'ema=True',
  ],
  'sudoku-att': [
    'arch=trm',
    'data_paths=[data/sudoku-extreme-1k-aug-1000]',
    'evaluators=[]',
    'epochs=50000',
    'eval_interval=5000',
    'lr=2e-4',
    'puzzle_emb_lr=1e-4',
    'weight_decay=1.0',
    'puzzle_emb_weight_decay=1.0',
    'arch.L_layers=2',
    'arch.H_cycles=3',
    'arch.L_cycles=6',
    'lr_warmup_steps=4000',
    'global_batch_size=1536',
    'ema=True',
  ],
  maze: mazeRun(1536),
  'maze-1gpu': mazeRun(64),
};

describe('presets', () => {
  it.each(Object.entries(README_RUNS))('%s equals the README command', (preset, overrides) => {
    const fromReadme = resolveTrainConfig(overrides).config;
    const fromPreset = resolveTrainConfig([], { preset }).config;
    expect(fromPreset).toEqual(fromReadme);
  });

  it('the README run label can still be added to a preset with +run_name', () => {
    expect(
      resolveTrainConfig(['+run_name=pretrain_mlp_t_sudoku'], { preset: 'sudoku-mlp' }).config
        .run_name,
    ).toBe('pretrain_mlp_t_sudoku');
  });

  it('preset=<name> works as an override and overrides after it win', () => {
    const { config, sources } = resolveTrainConfig(['preset=maze', 'global_batch_size=32']);
    expect(sources.preset).toBe('maze');
    expect(config.global_batch_size).toBe(32);
    expect(config.arch.L_cycles).toBe(4);
    expect(sources.origins['arch.L_cycles']).toBe('preset maze');
  });

  it('none selects no preset; two different presets conflict', () => {
    expect(resolveTrainConfig(['preset=none']).sources.preset).toBeUndefined();
    expect(resolveTrainConfig([], { preset: 'none' }).config.global_batch_size).toBe(768);
    expect(errorOf(() => resolveTrainConfig(['preset=maze'], { preset: 'arc1' })).message).toMatch(
      /Two presets/,
    );
  });

  it('an unknown preset suggests the closest and lists all', () => {
    const e = errorOf(() => resolveTrainConfig([], { preset: 'sudoku_mlp' }));
    expect(e.message).toMatch(/No preset named 'sudoku_mlp'. Did you mean 'sudoku-mlp'\?/);
    expect(e.message).toContain('tiny-sudoku');
  });

  it('tiny presets are small, generate their data and are valid', () => {
    for (const name of ['tiny-sudoku', 'tiny-maze']) {
      const { config, sources } = resolveTrainConfig([], { preset: name });
      expect(config.arch.hidden_size).toBeLessThanOrEqual(128);
      expect(config.arch.num_heads).toBe(2);
      expect(config.arch.L_layers).toBe(2);
      expect(config.arch.H_cycles).toBeLessThanOrEqual(2);
      expect(config.arch.L_cycles).toBeLessThanOrEqual(2);
      expect(config.arch.halt_max_steps).toBeLessThanOrEqual(8);
      expect(config.global_batch_size).toBeLessThanOrEqual(128);
      expect(sources.dataset).toBeDefined();
    }
    expect(resolveTrainConfig([], { preset: 'tiny-sudoku' }).sources.dataset).toMatchObject({
      kind: 'sudoku',
      size: 4,
    });
  });

  it('every shipped preset resolves and is listed with a description', () => {
    const presets = listPresets([shippedConfigDir()]);
    expect(presets.map((p) => p.name).sort()).toEqual([
      'arc1',
      'arc2',
      'baseline-sudoku',
      'hier6-sudoku',
      'hrm-sudoku',
      'maze',
      'maze-1gpu',
      'singlez-sudoku',
      'sudoku-att',
      'sudoku-mlp',
      'tiny-maze',
      'tiny-sudoku',
      'tiny-sudoku-att',
      'tiny-sudoku-baseline',
      'tiny-sudoku-hier6',
      'tiny-sudoku-hrm',
      'tiny-sudoku-mlp',
      'tiny-sudoku-singlez',
    ]);
    for (const p of presets) {
      expect(p.description.length).toBeGreaterThan(10);
      expect(() => resolveTrainConfig([], { preset: p.name })).not.toThrow();
      if (!p.generatesData) expect(p.requires).toMatch(/^trm build-dataset /);
    }
  });
});

describe('toYaml / loadTrainConfigFile', () => {
  it('round-trips the resolved config', () => {
    const { config } = resolveTrainConfig(['+run_name=r', 'arch.hidden_size=256'], {
      preset: 'sudoku-att',
    });
    const text = toYaml(config, 'written by a test');
    expect(text.startsWith('# written by a test\n')).toBe(true);
    expect(parseYaml(text)).toEqual(config);
    const dir = tempDir();
    writeFileSync(join(dir, 'all_config.yaml'), text);
    const loaded = loadTrainConfigFile(join(dir, 'all_config.yaml'));
    expect(loaded.config).toEqual(config);
    expect(loadTrainConfigFile(join(dir, 'all_config.yaml'), ['lr=1e-3']).config.lr).toBe(1e-3);
  });

  it('reads a reference-written all_config.yaml leniently', () => {
    const dir = tempDir();
    const file = join(dir, 'all_config.yaml');
    const { config } = resolveTrainConfig([], { preset: 'maze' });
    const { rms_norm_eps: _a, rope_theta: _b, ...arch } = config.arch;
    writeFileSync(file, toYaml({ ...config, arch: { ...arch, vocab_size: 6 }, wandb_id: 'x' }));
    const loaded = loadTrainConfigFile(file);
    expect(loaded.config.arch.rms_norm_eps).toBe(1e-5);
    expect(loaded.config.arch.vocab_size).toBe(6);
    expect(loaded.sources.added.sort()).toEqual(['arch.vocab_size', 'wandb_id']);
    expect(loaded.sources.origins['arch.rope_theta']).toBe('default');
  });

  it('writes interpolations resolved and every key', () => {
    const text = toYaml(resolveTrainConfig().config);
    expect(text).toContain('puzzle_emb_ndim: 512');
    expect(text).not.toContain('${');
    for (const spec of CONFIG_SCHEMA) expect(text).toContain(`${spec.key.split('.').pop()}:`);
  });
});
