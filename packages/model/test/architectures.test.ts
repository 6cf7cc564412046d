import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Device, Generator, memoryStats, setDefaultDevice } from '@trm/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, normalizeStateDict } from '../src/checkpoint/index.js';
import {
  ARCHITECTURES,
  architectureByName,
  architectureOf,
  exportTorchCheckpoint,
  groupOfStateDict,
  ModelConfigError,
  readModelCheckpoint,
  referenceName,
  resolveTrmConfig,
  saveModelCheckpoint,
  TinyRecursiveModel,
  type TrmConfig,
  undeclaredKeys,
} from '../src/index.js';

import { configFrom, parityFixture, toEntries } from './parity-support.js';

let device: Device;
let dir: string;
beforeAll(async () => {
  device = await Device.open();
  setDefaultDevice(device);
  dir = mkdtempSync(join(tmpdir(), 'trm-archs-'));
});
afterAll(() => {
  device?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const sudoku = { batch_size: 2, seq_len: 81, vocab_size: 11, num_puzzle_identifiers: 1 };
const HRM = 'recursive_reasoning.hrm@HierarchicalReasoningModel_ACTV1';
const BASELINE = 'recursive_reasoning.transformers_baseline@Model_ACTV2';
const SINGLEZ = 'recursive_reasoning.trm_singlez@TinyRecursiveReasoningModel_ACTV1';
const HIER6 = 'recursive_reasoning.trm_hier6@TinyRecursiveReasoningModel_ACTV1';

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ModelConfigError');
}

describe('the architecture table', () => {
  it('maps the official and the fork spelling of every class to one architecture', () => {
    for (const arch of ARCHITECTURES) {
      expect(architectureByName(referenceName(arch))).toBe(arch);
      expect(architectureByName(`architectures.${arch.module}@${arch.className}`)).toBe(arch);
    }
    expect(architectureByName('recursive_reasoning.hrm@Model_ACTV2')).toBeUndefined();
    expect(architectureByName('models.trm@TinyRecursiveReasoningModel_ACTV1')).toBeUndefined();
    expect(architectureByName('trm')).toBeUndefined();
  });

  it('tells the group of a state dict by its stacks and reset vectors', async () => {
    for (const [variant, group] of [
      ['attn_rope_stablemax', 'trm'],
      ['mlpt_stablemax', 'trm_mlp'],
      ['singlez_rope', 'trm_singlez'],
      ['hier6_learned_continue', 'trm_hier6'],
      ['hrm_rope', 'hrm'],
      ['hrm_nopuzzle_mlpt', 'hrm'],
      ['baseline_act', 'transformers_baseline'],
    ]) {
      const fixture = await loadCheckpoint(parityFixture(`${variant}.safetensors`));
      expect(groupOfStateDict(toEntries(fixture.tensors, 'weights/').keys()), variant).toBe(group);
    }
  });

  it('an unknown name is refused with every choice listed', () => {
    const msg = errorOf(() => resolveTrmConfig({ ...sudoku, name: 'recursive_reasoning.hrm@HRM' }));
    for (const arch of ARCHITECTURES) expect(msg).toContain(referenceName(arch));
  });
});

describe('parameter counts at the group defaults on Sudoku (81 cells, vocabulary 11)', () => {
  // Trainable parameters, as the reference logs num_params, and the persistent buffers (the
  // 1×512 puzzle table and the reset vectors), worked out by hand in the architectures guide.
  it.each([
    ['trm_singlez', SINGLEZ, 6_828_034, 1_024, ['L_init']],
    [
      'trm_hier6',
      HIER6,
      6_828_034,
      4_096,
      ['H_init', ...[1, 2, 3, 4, 5, 6].map((k) => `L${k}_init`)],
    ],
    ['hrm', HRM, 27_275_266, 1_536, ['H_init', 'L_init']],
    ['transformers_baseline', BASELINE, 27_144_194, 1_024, ['H_init']],
  ] as const)(
    '%s has %i parameters',
    (_kind, name, params, buffers, inits) => {
      const model = new TinyRecursiveModel(resolveTrmConfig({ ...sudoku, name }), new Generator(0));
      expect(model.parameterCount()).toBe(params);
      const state = model.stateDict();
      let total = 0;
      for (const t of state.values()) total += t.size;
      expect(total - params).toBe(buffers);
      const own = [...state.keys()]
        .filter((k) => /^model\.inner\.\w+_init$/.test(k))
        .map((k) => k.slice('model.inner.'.length));
      expect(own).toEqual([...inits]);
      model.dispose();
    },
    120_000,
  );

  it('the baseline has 12 heads of 42 features: qkv [1512, 512], o_proj [512, 504]', () => {
    const model = new TinyRecursiveModel(
      resolveTrmConfig({ ...sudoku, name: BASELINE, H_layers: 1 }),
      new Generator(0),
    );
    const state = model.stateDict();
    const layer = 'model.inner.H_level.layers.0.self_attn';
    expect(state.get(`${layer}.qkv_proj.weight`)!.shape).toEqual([1512, 512]);
    expect(state.get(`${layer}.o_proj.weight`)!.shape).toEqual([512, 504]);
    expect(model.inner.rotary!.cos.shape).toEqual([82, 42]);
    model.dispose();
  });
});

describe('configuration of the other architectures', () => {
  it('hrm and the baseline take one puzzle position per hidden_size of embedding', () => {
    const hrm = resolveTrmConfig({ ...sudoku, name: HRM, puzzle_emb_len: 16 });
    expect(hrm.puzzle_emb_len).toBe(1);
    // hrm always trains the continue head and halts on q_halt > q_continue.
    expect(hrm.no_ACT_continue).toBe(false);
    expect(resolveTrmConfig({ ...sudoku, name: HRM, puzzle_emb_ndim: 0 }).puzzle_emb_len).toBe(0);
    const base = resolveTrmConfig({ ...sudoku, name: BASELINE, puzzle_emb_ndim: 1000 });
    expect(base.puzzle_emb_len).toBe(2);
    expect([base.H_layers, base.num_heads, base.act_enabled, base.act_inference]).toEqual([
      8,
      12,
      true,
      false,
    ]);
  });

  it('uses each group defaults and lists the keys a class ignores', () => {
    const hrm = resolveTrmConfig({ ...sudoku, name: HRM });
    expect([hrm.H_cycles, hrm.L_cycles, hrm.H_layers, hrm.L_layers]).toEqual([2, 2, 4, 4]);
    expect(
      undeclaredKeys(HRM, ['H_layers', 'puzzle_emb_len', 'no_ACT_continue', 'seq_len']),
    ).toEqual(['puzzle_emb_len', 'no_ACT_continue']);
    expect(undeclaredKeys(BASELINE, ['L_cycles', 'L_layers', 'mlp_t', 'act_inference'])).toEqual([
      'L_cycles',
      'L_layers',
      'mlp_t',
    ]);
    expect(undeclaredKeys(SINGLEZ, ['H_layers', 'act_enabled'])).toEqual(['act_enabled']);
    // act flags only mean something to the baseline
    expect(resolveTrmConfig({ ...sudoku, act_inference: true }).act_inference).toBe(false);
  });

  it('refuses what the reference crashes on, naming the fix', () => {
    expect(errorOf(() => resolveTrmConfig({ ...sudoku, name: HIER6, L_cycles: 7 }))).toContain(
      '"L_cycles" must be at most 6 for trm_hier6',
    );
    expect(
      errorOf(() => resolveTrmConfig({ ...sudoku, name: BASELINE, pos_encodings: 'none' })),
    ).toContain('"pos_encodings" must be one of rope, learned for transformers_baseline');
    // 512 / 10 = 51 features per head: odd, so no rotary embedding
    expect(errorOf(() => resolveTrmConfig({ ...sudoku, name: BASELINE, num_heads: 10 }))).toContain(
      'rope needs an even head dimension; floor(hidden_size / num_heads) = 51',
    );
    expect(
      resolveTrmConfig({ ...sudoku, name: BASELINE, num_heads: 10, pos_encodings: 'learned' })
        .num_heads,
    ).toBe(10);
    expect(errorOf(() => resolveTrmConfig({ ...sudoku, name: HRM, num_heads: 12 }))).toContain(
      '"hidden_size" (512) must be divisible by "num_heads" (12)',
    );
  });
});

const small = {
  batch_size: 2,
  seq_len: 9,
  vocab_size: 6,
  num_puzzle_identifiers: 3,
  hidden_size: 32,
  num_heads: 2,
  H_layers: 1,
  L_layers: 1,
  H_cycles: 2,
  L_cycles: 2,
  halt_max_steps: 3,
  puzzle_emb_ndim: 32,
};
const batch = {
  inputs: Int32Array.from({ length: 18 }, (_, i) => 1 + (i % 5)),
  labels: Int32Array.from({ length: 18 }, (_, i) => (i % 3 === 0 ? -100 : 1 + (i % 4))),
  puzzleIdentifiers: Int32Array.of(1, 2),
};
const noExploration = { explore: new Uint8Array(2), minHalt: new Int32Array(2) };

describe('behaviour', () => {
  it.each(ARCHITECTURES.map((a) => [a.kind, referenceName(a)]))(
    '%s: a training step and an evaluation to halting, no memory leaked',
    async (_kind, name) => {
      const config = resolveTrmConfig({ ...small, name });
      const model = new TinyRecursiveModel(config, new Generator(5));
      const start = memoryStats(device);
      const r = await model.step(model.initialCarry(2), batch, {
        backward: true,
        lossScale: 0.5,
        exploration: noExploration,
      });
      expect(Object.keys(r.carry.inner)).toEqual([...architectureOf(config).states]);
      expect(Number.isFinite(r.loss)).toBe(true);
      for (const [p, t] of model.namedParameters()) expect(t.grad, p).not.toBeNull();
      TinyRecursiveModel.disposeCarry(r.carry);
      model.eval();
      let carry = model.initialCarry(2);
      let steps = 0;
      for (;;) {
        const e = await model.step(carry, batch);
        carry = e.carry;
        steps++;
        if (e.allHalted) break;
      }
      expect(steps).toBe(3);
      TinyRecursiveModel.disposeCarry(carry);
      model.zeroGrad();
      model.inner.puzzleEmb?.releaseBatch();
      expect(memoryStats(device).liveBuffers).toBe(start.liveBuffers);
      model.dispose();
    },
  );

  /** Training halting steps of a baseline whose Q head says "halt" from the first step. */
  async function baselineHaltSteps(extra: Partial<TrmConfig>): Promise<number[]> {
    const model = new TinyRecursiveModel(
      resolveTrmConfig({ ...small, name: BASELINE, ...extra }),
      new Generator(5),
    );
    model.inner.qHead.bias!.assign([5, -5]);
    let carry = model.initialCarry(2);
    const halts: number[] = [];
    for (let s = 1; s <= 3; s++) {
      const r = await model.step(carry, batch, { exploration: noExploration });
      carry = r.carry;
      expect(r.targetQContinue).toBeNull(); // the reference's loss head never asks for one
      if (r.allHalted) halts.push(s);
    }
    TinyRecursiveModel.disposeCarry(carry);
    model.dispose();
    return halts;
  }

  it('the baseline halts adaptively in training only with act_enabled', async () => {
    expect(await baselineHaltSteps({ act_enabled: true })).toEqual([1, 2, 3]);
    expect(await baselineHaltSteps({ act_enabled: false })).toEqual([3]);
  });

  it('trm_mlp: rope and no positions are the same model (MLP-T never reads the tables)', async () => {
    const logits = [];
    for (const pos_encodings of ['rope', 'none'] as const) {
      const model = new TinyRecursiveModel(
        resolveTrmConfig({ ...small, mlp_t: true, pos_encodings }),
        new Generator(5),
      );
      model.eval();
      const r = await model.step(model.initialCarry(2), batch, { keepLogits: true });
      logits.push(await r.logits!.data());
      r.logits!.dispose();
      TinyRecursiveModel.disposeCarry(r.carry);
      model.dispose();
    }
    expect(logits[0]).toEqual(logits[1]);
  });
});

describe('checkpoints of the other architectures', () => {
  it.each(['singlez_rope', 'hier6_learned_continue', 'hrm_rope', 'baseline_act'])(
    '%s: ours keep the architecture in the header and export under the reference names',
    async (variant) => {
      // PyTorch's state dict (the parity fixture's weights), through our safetensors, back out
      // as a torch.save file: the same names, shapes and values.
      const fixture = await loadCheckpoint(parityFixture(`${variant}.safetensors`), {
        int64: 'int32',
      });
      const reference = toEntries(fixture.tensors, 'weights/');
      const config = configFrom(fixture.metadata);
      const model = new TinyRecursiveModel(config, new Generator(0));
      model.loadStateDict(reference);
      const ours = join(dir, `${variant}.safetensors`);
      await saveModelCheckpoint(ours, model);
      const header = await readModelCheckpoint(ours);
      expect(architectureOf(resolveTrmConfig({ ...header.config! }))).toBe(architectureOf(config));
      const pt = join(dir, `${variant}.pt`);
      await exportTorchCheckpoint(ours, pt);
      const back = normalizeStateDict((await loadCheckpoint(pt)).tensors);
      expect([...back.keys()].sort()).toEqual([...reference.keys()].sort());
      for (const [k, v] of reference) expect(back.get(k)!.data, k).toEqual(v.data);
      model.dispose();
    },
  );
});
