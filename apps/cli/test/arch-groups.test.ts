import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetMetadata } from '@trm/datasets';
import { ARCHITECTURES, architectureOf, referenceName, undeclaredKeys } from '@trm/model';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ignoredArchKeyNotes } from '../src/config/validate.js';
import { ConfigError } from '../src/errors.js';
import { resolveTrainConfig, shippedConfigDir } from '../src/index.js';
import { modelConfig } from '../src/train/model-setup.js';
import { errorOf } from './helpers.js';

/** Sudoku-Extreme's metadata (what the architecture tables are worked out for). */
const sudoku: DatasetMetadata = {
  pad_id: 0,
  ignore_label_id: 0,
  blank_identifier_id: 0,
  vocab_size: 11,
  seq_len: 81,
  num_puzzle_identifiers: 1,
  total_groups: 1,
  mean_puzzle_examples: 1,
  total_puzzles: 1,
  sets: ['all'],
};

const GROUPS = {
  trm: 'trm',
  trm_mlp: 'trm',
  trm_singlez: 'trm_singlez',
  trm_hier6: 'trm_hier6',
  hrm: 'hrm',
  transformers_baseline: 'transformers_baseline',
} as const;

describe('arch=<group> selects each of the reference architecture groups', () => {
  it.each(Object.entries(GROUPS))(
    'arch=%s builds the %s class with its defaults',
    (group, kind) => {
      const { config, sources } = resolveTrainConfig([`arch=${group}`]);
      expect(sources.groups.arch).toBe(group);
      const model = modelConfig(config.arch, sudoku, 8);
      const arch = architectureOf(model);
      expect(arch.kind).toBe(kind);
      expect(config.arch.name).toBe(referenceName(arch));
      // The group file holds only keys its class declares, with the class's defaults.
      const file = parseYaml(
        readFileSync(join(shippedConfigDir(), 'arch', `${group}.yaml`), 'utf8'),
      );
      const keys = Object.keys(file).filter((k) => k !== 'name' && k !== 'loss');
      expect(undeclaredKeys(config.arch.name, keys)).toEqual([]);
      expect(ignoredArchKeyNotes(config)).toEqual([]);
      for (const k of keys) {
        const value = k === 'puzzle_emb_ndim' ? config.arch.hidden_size : file[k];
        expect(model[k as keyof typeof model], k).toEqual(value);
        // The model package's defaults for the class agree with the file (trm_mlp aside).
        if (group !== 'trm_mlp') expect(arch.defaults[k as never] ?? value, k).toEqual(value);
      }
    },
  );

  it('every architecture of the table has a group file', () => {
    const names = new Set(
      Object.keys(GROUPS).map((g) => resolveTrainConfig([`arch=${g}`]).config.arch.name),
    );
    for (const arch of ARCHITECTURES) expect(names.has(referenceName(arch))).toBe(true);
  });

  it('arch=trm_mlp is arch=trm with arch.mlp_t=true', () => {
    const mlp = resolveTrainConfig(['arch=trm_mlp']).config.arch;
    const trm = resolveTrainConfig(['arch=trm', 'arch.mlp_t=true']).config.arch;
    expect(mlp).toEqual(trm);
  });

  it('hrm and the baseline leave out the keys their classes do not have', () => {
    const hrm = resolveTrainConfig(['arch=hrm']).config.arch;
    expect(hrm).not.toHaveProperty('puzzle_emb_len');
    expect(hrm).not.toHaveProperty('no_ACT_continue');
    expect([hrm.H_cycles, hrm.L_cycles, hrm.H_layers, hrm.L_layers]).toEqual([2, 2, 4, 4]);
    const base = resolveTrainConfig(['arch=transformers_baseline']).config.arch;
    for (const k of ['L_cycles', 'L_layers', 'mlp_t', 'puzzle_emb_len', 'no_ACT_continue'])
      expect(base).not.toHaveProperty(k);
    expect([base.H_layers, base.num_heads, base.hidden_size]).toEqual([8, 12, 512]);
    // The reference's Hydra needs a + for keys its file lacks; so do we.
    expect(
      errorOf(() => resolveTrainConfig(['arch=hrm', 'arch.puzzle_emb_len=4'])).message,
    ).toMatch(/\+arch\.puzzle_emb_len=4/);
  });
});

describe('errors and notes', () => {
  it('an unknown arch.name is an exit-2 error listing the classes', () => {
    const e = errorOf(() => resolveTrainConfig(['arch.name=recursive_reasoning.trm@TRM']));
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).exitCode).toBe(2);
    for (const arch of ARCHITECTURES) expect(e.message).toContain(referenceName(arch));
    expect(e.message).toMatch(/arch=<group>/);
  });

  it('the fork spelling of a class name is accepted', () => {
    const { config } = resolveTrainConfig([
      'arch=hrm',
      'arch.name=architectures.hrm@HierarchicalReasoningModel_ACTV1',
    ]);
    expect(architectureOf(modelConfig(config.arch, sudoku, 8)).kind).toBe('hrm');
  });

  it('an unknown arch group lists every group, the default first', () => {
    const e = errorOf(() => resolveTrainConfig(['arch=hrn']));
    expect(e.message).toMatch(/Did you mean 'hrm'\?/);
    expect(e.message).toContain(
      'Available: trm, hrm, transformers_baseline, trm_hier6, trm_mlp, trm_singlez (trm is the default).',
    );
  });

  it('pos_encodings: unknown values list the choices; the baseline refuses none', () => {
    expect(
      errorOf(() => resolveTrainConfig(['arch=hrm', 'arch.pos_encodings=alibi'])).message,
    ).toMatch(/arch.pos_encodings: expected one of rope, learned, none/);
    const { config } = resolveTrainConfig([
      'arch=transformers_baseline',
      'arch.pos_encodings=none',
    ]);
    const e = errorOf(() => modelConfig(config.arch, sudoku, 8));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain(
      'arch.pos_encodings must be one of rope, learned for transformers_baseline',
    );
  });

  it('trm_hier6 refuses more than six low-level cycles', () => {
    const { config } = resolveTrainConfig(['arch=trm_hier6', 'arch.L_cycles=7']);
    expect(errorOf(() => modelConfig(config.arch, sudoku, 8)).message).toContain(
      'arch.L_cycles must be at most 6 for trm_hier6',
    );
  });

  it('keys a class ignores are noted, as the reference ignores them', () => {
    const { config } = resolveTrainConfig([
      'arch=transformers_baseline',
      '+arch.L_cycles=3',
      '+arch.act_inference=true',
    ]);
    expect(ignoredArchKeyNotes(config)).toEqual([
      'note: arch.L_cycles is ignored: transformers_baseline (Model_ACTV2) has no such setting, and the reference ignores it too.',
    ]);
    expect(modelConfig(config.arch, sudoku, 8).act_inference).toBe(true);
    const hrm = resolveTrainConfig(['arch=hrm', '+arch.act_enabled=false']).config;
    expect(ignoredArchKeyNotes(hrm)).toHaveLength(1);
    expect(modelConfig(hrm.arch, sudoku, 8).act_enabled).toBe(true);
  });
});

describe('presets of the comparison runs', () => {
  it.each([
    ['hrm-sudoku', 'hrm', 'sudoku-att'],
    ['baseline-sudoku', 'transformers_baseline', 'sudoku-att'],
    ['singlez-sudoku', 'trm_singlez', 'sudoku-mlp'],
    ['hier6-sudoku', 'trm_hier6', 'sudoku-mlp'],
  ])('%s: arch %s with the training recipe of %s', (preset, kind, recipe) => {
    const { config } = resolveTrainConfig([], { preset });
    const base = resolveTrainConfig([], { preset: recipe }).config;
    expect(architectureOf(modelConfig(config.arch, sudoku, 8)).kind).toBe(kind);
    const { arch: _a, ...training } = config;
    const { arch: _b, ...baseTraining } = base;
    expect(training).toEqual(baseTraining);
    expect(ignoredArchKeyNotes(config)).toEqual([]);
  });

  it.each([
    ['tiny-sudoku-mlp', 'trm'],
    ['tiny-sudoku-singlez', 'trm_singlez'],
    ['tiny-sudoku-hier6', 'trm_hier6'],
    ['tiny-sudoku-hrm', 'hrm'],
    ['tiny-sudoku-baseline', 'transformers_baseline'],
  ])('%s: the tiny-sudoku-att run with arch %s', (preset, kind) => {
    const { config, sources } = resolveTrainConfig([], { preset });
    const att = resolveTrainConfig([], { preset: 'tiny-sudoku-att' });
    const model = modelConfig(config.arch, sudoku, 8);
    expect(architectureOf(model).kind).toBe(kind);
    expect(model.hidden_size).toBe(64);
    expect(model.halt_max_steps).toBe(4);
    const { arch: _a, ...training } = config;
    const { arch: _b, ...attTraining } = att.config;
    // The comparison presets share one data set and the 500-step schedule their recorded runs
    // (apps/docs/data/arch-comparison) used; only the architecture differs.
    expect(training).toEqual(attTraining);
    expect(attTraining).toMatchObject({ epochs: 16, eval_interval: 4 });
    expect(sources.dataset).toEqual(att.sources.dataset);
    expect(ignoredArchKeyNotes(config)).toEqual([]);
  });

  it('the default tiny-sudoku is TRM-MLP with the comparison run’s architecture, on a shorter schedule', () => {
    const tiny = resolveTrainConfig([], { preset: 'tiny-sudoku' });
    const mlp = resolveTrainConfig([], { preset: 'tiny-sudoku-mlp' });
    expect(tiny.config.arch).toEqual(mlp.config.arch);
    expect(modelConfig(tiny.config.arch, sudoku, 8).mlp_t).toBe(true);
    const { arch: _a, epochs, ...training } = tiny.config;
    const { arch: _b, epochs: mlpEpochs, ...mlpTraining } = mlp.config;
    expect(training).toEqual(mlpTraining);
    expect(epochs).toBeLessThan(mlpEpochs);
    expect(tiny.sources.dataset).toEqual(mlp.sources.dataset);
  });
});
